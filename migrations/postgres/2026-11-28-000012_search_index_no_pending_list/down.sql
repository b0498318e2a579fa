-- Nothing to undo: the recent indexes are the server's, and it builds them this way.
SELECT 1;
