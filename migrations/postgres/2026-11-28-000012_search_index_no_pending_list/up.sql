-- The recent articles' search index (see `src/articles/search.rs`) takes new entries straight
-- into the index, not into a pending list (`fastupdate = off`): a GIN index's pending list is
-- read whole by every search until VACUUM merges it. At a million articles, 4,200 edits of
-- recent articles left 443 pages in that index's list; reading them took 4.8 ms of a search
-- whose index scan otherwise takes 0.2 ms (searches 1,600 -> 190 per second). The server builds
-- new recent indexes this way; this sets the ones built before. Only edits and publications of
-- recent articles write to it.
--
-- The whole archive's index keeps its pending list: only searches with few recent matches read
-- it, and without the list a bulk load was 2.5 times slower (migration `000007`).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'articles'::regclass AND i.indisvalid
          AND starts_with(c.relname::text, 'articles_search_since_')
    LOOP
        EXECUTE format('ALTER INDEX %I SET (fastupdate = off)', r.relname);
        PERFORM gin_clean_pending_list(r.oid::regclass);
    END LOOP;
END $$;
