DROP TRIGGER articles_public_at ON articles;
DROP TRIGGER article_authors_public_at ON article_authors;
DROP TRIGGER article_tags_public_at ON article_tags;
DROP FUNCTION articles_public_at();
DROP FUNCTION article_links_public_at();
