ALTER INDEX articles_search_idx SET (fastupdate = on);
