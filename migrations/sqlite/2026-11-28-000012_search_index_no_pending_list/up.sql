-- Nothing to do on SQLite: PostgreSQL's half sets its recent search index to take new entries
-- straight into the index. SQLite's full-text index is merged by the server (src/articles/search.rs).
SELECT 1;
