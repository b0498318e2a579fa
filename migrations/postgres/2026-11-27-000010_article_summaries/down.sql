DROP TRIGGER article_summaries_author_name ON users;
DROP TRIGGER article_summaries_authors ON article_authors;
DROP TRIGGER article_summaries_tags ON article_tags;
DROP TRIGGER article_summaries_update ON articles;
DROP TRIGGER article_summaries_insert ON articles;
DROP FUNCTION article_summaries_author_name();
DROP FUNCTION article_summaries_stale();
DROP FUNCTION article_summaries_new();
DROP TABLE article_summaries;
