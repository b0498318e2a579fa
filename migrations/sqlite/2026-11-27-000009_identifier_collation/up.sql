-- Nothing to do on SQLite, which compares text byte by byte (BINARY) unless told otherwise.
-- PostgreSQL's half of this migration makes its keys compare the same way.
SELECT 1;
