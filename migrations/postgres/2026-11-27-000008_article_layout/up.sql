-- Nothing to do on PostgreSQL. SQLite's half of this migration moves the article bodies to the
-- end of the row, so that lists do not read them; PostgreSQL already keeps long values out of
-- line (TOAST) and reads them only when asked for.
SELECT 1;
