-- Each public article's response, assembled once (`articles::documents`), so that an article read
-- that misses the response cache is one row: no authors, tags, related articles, images,
-- captions and corrections to look up, no body to decode, no JSON to write. Its image URLs are
-- site-relative; `base_at` lists the byte offsets where a request's base URL goes.
--
-- A document is current when its `format` is the server's (`documents::FORMAT`); 0 is stale.
-- The triggers below make it stale in the same transaction as any change to what it shows, and
-- count each change in `changes`: the server stores a document it rendered only if `changes` is
-- what it read before rendering (a compare-and-set that waits for a change not yet committed,
-- then sees its count), so a change made meanwhile is never covered up. Drafts and archived
-- articles have no document (stored NULL once looked at). A document naming related articles is
-- valid only from the time it was rendered for (`valid_from`) until the first of them that was
-- scheduled then comes due (`valid_until`). Existing articles start stale.
CREATE TABLE article_documents (
    article_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    format      INTEGER NOT NULL DEFAULT 0,
    changes     BIGINT NOT NULL DEFAULT 0,
    version     BIGINT NOT NULL DEFAULT 0,
    valid_from  TIMESTAMP,
    valid_until TIMESTAMP,
    base_at     TEXT,
    document    TEXT
);
CREATE INDEX article_documents_format_idx ON article_documents (format);
CREATE INDEX article_documents_until_idx ON article_documents (valid_until)
    WHERE valid_until IS NOT NULL;
INSERT INTO article_documents (article_id) SELECT id FROM articles;

CREATE FUNCTION article_documents_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_documents (article_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER article_documents_insert AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION article_documents_new();

CREATE FUNCTION article_documents_make_stale(changed TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = ANY (changed);
END $$;

-- For articles (by id) and the rows that hang off them (by article_id), old and new.
CREATE FUNCTION article_documents_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'articles' THEN
        PERFORM article_documents_make_stale(ARRAY[NEW.id]);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM article_documents_make_stale(ARRAY[NEW.article_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM article_documents_make_stale(ARRAY[OLD.article_id]);
    ELSE
        PERFORM article_documents_make_stale(ARRAY[OLD.article_id, NEW.article_id]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER article_documents_update AFTER UPDATE ON articles
    FOR EACH ROW EXECUTE FUNCTION article_documents_stale();
CREATE TRIGGER article_documents_tags AFTER INSERT OR DELETE OR UPDATE ON article_tags
    FOR EACH ROW EXECUTE FUNCTION article_documents_stale();
CREATE TRIGGER article_documents_authors AFTER INSERT OR DELETE OR UPDATE ON article_authors
    FOR EACH ROW EXECUTE FUNCTION article_documents_stale();
CREATE TRIGGER article_documents_links AFTER INSERT OR DELETE OR UPDATE ON article_related
    FOR EACH ROW EXECUTE FUNCTION article_documents_stale();
CREATE TRIGGER article_documents_image_uses AFTER INSERT OR DELETE OR UPDATE ON article_images
    FOR EACH ROW EXECUTE FUNCTION article_documents_stale();

-- Articles that list this one as related show it only while it is public.
CREATE FUNCTION article_documents_related() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM article_documents_make_stale(ARRAY(
        SELECT article_id FROM article_related WHERE related_id = OLD.id));
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER article_documents_related_status AFTER UPDATE OF status, published_at ON articles
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION article_documents_related();
CREATE TRIGGER article_documents_related_delete BEFORE DELETE ON articles
    FOR EACH ROW EXECUTE FUNCTION article_documents_related();

-- An article shows its images' metadata and its captions (with the effective credit).
CREATE FUNCTION article_documents_picture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'images' THEN
        PERFORM article_documents_make_stale(ARRAY(
            SELECT article_id FROM article_images WHERE image_id = OLD.id));
    ELSE
        PERFORM article_documents_make_stale(ARRAY(
            SELECT article_id FROM article_images WHERE caption_id = OLD.id));
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER article_documents_image AFTER UPDATE ON images
    FOR EACH ROW EXECUTE FUNCTION article_documents_picture();
CREATE TRIGGER article_documents_caption_update AFTER UPDATE ON captions
    FOR EACH ROW EXECUTE FUNCTION article_documents_picture();
CREATE TRIGGER article_documents_caption_delete BEFORE DELETE ON captions
    FOR EACH ROW EXECUTE FUNCTION article_documents_picture();

-- Bylines show the account's or the guest profile's name.
CREATE FUNCTION article_documents_author_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM article_documents_make_stale(
        ARRAY(SELECT article_id FROM article_authors WHERE user_id = NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER article_documents_author_name AFTER UPDATE OF display_name ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION article_documents_author_name();
CREATE TRIGGER article_documents_guest_name AFTER UPDATE OF display_name ON authors
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION article_documents_author_name();

-- The public corrections log: accepted reports with a public note.
CREATE TRIGGER article_documents_correction_insert AFTER INSERT ON correction_reports
    FOR EACH ROW WHEN (NEW.public_note IS NOT NULL)
    EXECUTE FUNCTION article_documents_stale();
CREATE TRIGGER article_documents_correction_update AFTER UPDATE ON correction_reports
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status
        OR OLD.public_note IS DISTINCT FROM NEW.public_note
        OR OLD.corrected_at IS DISTINCT FROM NEW.corrected_at
        OR OLD.article_id IS DISTINCT FROM NEW.article_id)
    EXECUTE FUNCTION article_documents_stale();
CREATE TRIGGER article_documents_correction_delete AFTER DELETE ON correction_reports
    FOR EACH ROW WHEN (OLD.public_note IS NOT NULL)
    EXECUTE FUNCTION article_documents_stale();
