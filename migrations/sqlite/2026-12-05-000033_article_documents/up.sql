-- Each public article's response, assembled once (`articles::documents`), so that an article read
-- that misses the response cache is one row: no authors, tags, related articles, images,
-- captions and corrections to look up, no body to decode, no JSON to write. Its image URLs are
-- site-relative; `base_at` lists the byte offsets where a request's base URL goes.
--
-- A document is current when its `format` is the server's (`documents::FORMAT`); 0 is stale.
-- The triggers below make it stale in the same statement as any change to what it shows, and
-- count each change in `changes`: the server stores a document it rendered only if `changes` is
-- what it read before rendering, so a change made meanwhile is never covered up. Drafts and
-- archived articles have no document (stored NULL once looked at). A document naming related
-- articles is valid only from the time it was rendered for (`valid_from`) until the first of
-- them that was scheduled then comes due (`valid_until`). Existing articles start stale.
CREATE TABLE article_documents (
    article_id  TEXT PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
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

CREATE TRIGGER article_documents_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_documents (article_id) VALUES (new.id);
END;
CREATE TRIGGER article_documents_update AFTER UPDATE ON articles BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = new.id;
END;
-- Articles that list this one as related show it only while it is public.
CREATE TRIGGER article_documents_related_status AFTER UPDATE OF status, published_at ON articles
WHEN old.status IS NOT new.status OR old.published_at IS NOT new.published_at BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (SELECT article_id FROM article_related WHERE related_id = new.id);
END;
CREATE TRIGGER article_documents_related_delete BEFORE DELETE ON articles BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (SELECT article_id FROM article_related WHERE related_id = old.id);
END;
CREATE TRIGGER article_documents_tag_insert AFTER INSERT ON article_tags BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = new.article_id;
END;
CREATE TRIGGER article_documents_tag_update AFTER UPDATE ON article_tags BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (old.article_id, new.article_id);
END;
CREATE TRIGGER article_documents_tag_delete AFTER DELETE ON article_tags BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = old.article_id;
END;
CREATE TRIGGER article_documents_author_insert AFTER INSERT ON article_authors BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = new.article_id;
END;
CREATE TRIGGER article_documents_author_update AFTER UPDATE ON article_authors BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (old.article_id, new.article_id);
END;
CREATE TRIGGER article_documents_author_delete AFTER DELETE ON article_authors BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = old.article_id;
END;
CREATE TRIGGER article_documents_link_insert AFTER INSERT ON article_related BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = new.article_id;
END;
CREATE TRIGGER article_documents_link_update AFTER UPDATE ON article_related BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (old.article_id, new.article_id);
END;
CREATE TRIGGER article_documents_link_delete AFTER DELETE ON article_related BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = old.article_id;
END;
CREATE TRIGGER article_documents_image_use_insert AFTER INSERT ON article_images BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = new.article_id;
END;
CREATE TRIGGER article_documents_image_use_update AFTER UPDATE ON article_images BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (old.article_id, new.article_id);
END;
CREATE TRIGGER article_documents_image_use_delete AFTER DELETE ON article_images BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = old.article_id;
END;
-- An article shows its images' metadata and its captions (with the effective credit).
CREATE TRIGGER article_documents_image AFTER UPDATE ON images BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (SELECT article_id FROM article_images WHERE image_id = new.id);
END;
CREATE TRIGGER article_documents_caption_update AFTER UPDATE ON captions BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (SELECT article_id FROM article_images
                         WHERE caption_id IN (old.id, new.id));
END;
CREATE TRIGGER article_documents_caption_delete BEFORE DELETE ON captions BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (SELECT article_id FROM article_images WHERE caption_id = old.id);
END;
-- Bylines show the account's or the guest profile's name.
CREATE TRIGGER article_documents_author_name AFTER UPDATE OF display_name ON users
WHEN old.display_name IS NOT new.display_name BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (SELECT article_id FROM article_authors WHERE user_id = new.id);
END;
CREATE TRIGGER article_documents_guest_name AFTER UPDATE OF display_name ON authors
WHEN old.display_name IS NOT new.display_name BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (SELECT article_id FROM article_authors WHERE user_id = new.id);
END;
-- The public corrections log: accepted reports with a public note.
CREATE TRIGGER article_documents_correction_insert AFTER INSERT ON correction_reports
WHEN new.public_note IS NOT NULL BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = new.article_id;
END;
CREATE TRIGGER article_documents_correction_update AFTER UPDATE ON correction_reports
WHEN old.status IS NOT new.status OR old.public_note IS NOT new.public_note
  OR old.corrected_at IS NOT new.corrected_at OR old.article_id IS NOT new.article_id BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id IN (old.article_id, new.article_id);
END;
CREATE TRIGGER article_documents_correction_delete AFTER DELETE ON correction_reports
WHEN old.public_note IS NOT NULL BEGIN
    UPDATE article_documents SET format = 0, changes = changes + 1, document = NULL
    WHERE article_id = old.article_id;
END;
