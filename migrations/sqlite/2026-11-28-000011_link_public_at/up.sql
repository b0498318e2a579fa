-- Each tag and author row carries its article's publication time while the article is published
-- (`public_at`, migration `public_index`). The application wrote it; from here the database keeps
-- it, whatever writes, so that a tag's or an author's public page can be read from the link
-- table and the stored summaries alone, without reading `articles` to check each row.
--
-- Rows written before this migration are put right first, from a compact copy of the published
-- articles' times (read from the public index): looking each link's article up in `articles`
-- itself read a wide row per link, 111 s at a million articles; this takes about 3 s.
CREATE TEMP TABLE public_times (id TEXT PRIMARY KEY NOT NULL, at TIMESTAMP) WITHOUT ROWID;
INSERT INTO public_times SELECT id, published_at FROM articles WHERE status = 'published';
UPDATE article_tags SET public_at = (SELECT at FROM public_times p WHERE p.id = article_tags.article_id)
WHERE public_at IS NOT (SELECT at FROM public_times p WHERE p.id = article_tags.article_id);
UPDATE article_authors SET public_at = (SELECT at FROM public_times p WHERE p.id = article_authors.article_id)
WHERE public_at IS NOT (SELECT at FROM public_times p WHERE p.id = article_authors.article_id);
DROP TABLE public_times;

-- A link row written with another value than its article's is put right in the same statement
-- (SQLite has no BEFORE trigger that can change the row; the application writes the right value,
-- so the check is one lookup of the article and the update does not run).
CREATE TRIGGER article_tags_public_at_insert AFTER INSERT ON article_tags
WHEN new.public_at IS NOT (
    SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
BEGIN
    UPDATE article_tags SET public_at = (
        SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
    WHERE article_id = new.article_id AND tag = new.tag;
END;
CREATE TRIGGER article_tags_public_at_update AFTER UPDATE OF article_id, public_at ON article_tags
WHEN new.public_at IS NOT (
    SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
BEGIN
    UPDATE article_tags SET public_at = (
        SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
    WHERE article_id = new.article_id AND tag = new.tag;
END;
CREATE TRIGGER article_authors_public_at_insert AFTER INSERT ON article_authors
WHEN new.public_at IS NOT (
    SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
BEGIN
    UPDATE article_authors SET public_at = (
        SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
    WHERE article_id = new.article_id AND user_id = new.user_id;
END;
CREATE TRIGGER article_authors_public_at_update AFTER UPDATE OF article_id, public_at ON article_authors
WHEN new.public_at IS NOT (
    SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
BEGIN
    UPDATE article_authors SET public_at = (
        SELECT CASE WHEN status = 'published' THEN published_at END FROM articles WHERE id = new.article_id)
    WHERE article_id = new.article_id AND user_id = new.user_id;
END;

-- An article published, unpublished, archived or moved in time: its links, in the same statement.
CREATE TRIGGER articles_public_at AFTER UPDATE OF status, published_at ON articles
WHEN (CASE WHEN old.status = 'published' THEN old.published_at END)
     IS NOT (CASE WHEN new.status = 'published' THEN new.published_at END)
BEGIN
    UPDATE article_tags SET public_at = CASE WHEN new.status = 'published' THEN new.published_at END
    WHERE article_id = new.id;
    UPDATE article_authors SET public_at = CASE WHEN new.status = 'published' THEN new.published_at END
    WHERE article_id = new.id;
END;
