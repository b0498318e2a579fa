-- Each tag and author row carries its article's publication time while the article is published
-- (`public_at`, migration `public_index`). The application wrote it; from here the database keeps
-- it, whatever writes, so that a tag's or an author's public page can be read from the link
-- table and the stored summaries alone, without reading `articles` to check each row.
--
-- Rows written before this migration are put right first.
UPDATE article_tags t SET public_at = CASE WHEN a.status = 'published' THEN a.published_at END
FROM articles a
WHERE a.id = t.article_id
  AND t.public_at IS DISTINCT FROM (CASE WHEN a.status = 'published' THEN a.published_at END);
UPDATE article_authors t SET public_at = CASE WHEN a.status = 'published' THEN a.published_at END
FROM articles a
WHERE a.id = t.article_id
  AND t.public_at IS DISTINCT FROM (CASE WHEN a.status = 'published' THEN a.published_at END);

-- A link row written takes its article's value, whatever the statement set. The article's row is
-- read `FOR SHARE`: a change of its status committed meanwhile is waited for and then seen (that
-- change's own update of the links ran before this row existed), and a change that comes after
-- waits for this transaction, then updates this row too. A transaction that writes links and
-- changes the article should change the article first, as the API does: two that each write
-- links of one article and then update it wait for each other's share lock (a deadlock, which
-- PostgreSQL breaks by failing one of them).
CREATE FUNCTION article_links_public_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.public_at := (
        SELECT CASE WHEN a.status = 'published' THEN a.published_at END
        FROM articles a WHERE a.id = NEW.article_id FOR SHARE);
    RETURN NEW;
END $$;
CREATE TRIGGER article_tags_public_at BEFORE INSERT OR UPDATE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION article_links_public_at();
CREATE TRIGGER article_authors_public_at BEFORE INSERT OR UPDATE ON article_authors
    FOR EACH ROW EXECUTE FUNCTION article_links_public_at();

-- An article published, unpublished, archived or moved in time: its links, in the same statement.
CREATE FUNCTION articles_public_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE article_tags SET public_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE article_id = NEW.id;
    UPDATE article_authors SET public_at = CASE WHEN NEW.status = 'published' THEN NEW.published_at END
    WHERE article_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER articles_public_at AFTER UPDATE OF status, published_at ON articles
    FOR EACH ROW
    WHEN ((CASE WHEN OLD.status = 'published' THEN OLD.published_at END)
          IS DISTINCT FROM (CASE WHEN NEW.status = 'published' THEN NEW.published_at END))
    EXECUTE FUNCTION articles_public_at();
