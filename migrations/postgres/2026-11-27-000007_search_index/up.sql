-- With fastupdate, new entries wait in the GIN index's pending list (up to 4 MB) until a vacuum
-- merges them, and every search reads that list from end to end. A newsroom reads far more than
-- it writes: new entries go straight into the index, and what is pending now is merged.
ALTER INDEX articles_search_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('articles_search_idx'::regclass);
