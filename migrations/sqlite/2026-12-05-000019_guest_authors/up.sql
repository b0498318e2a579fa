-- Guest contributors: a profile without an account (`user_id` NULL) carries its own
-- `display_name`; a staff profile keeps NULL there and shows its account's name. A byline now
-- names an author profile (a staff member's profile has their user id as its id, so existing
-- bylines keep their values). SQLite cannot change a foreign key, so `article_authors` is
-- rebuilt with its indexes and triggers as the earlier migrations made them; the triggers on
-- other tables that read it are dropped first and made again.
ALTER TABLE authors ADD COLUMN display_name TEXT;

-- A byline whose user has no profile yet gets one, its slug made unique by the user id.
INSERT INTO authors (id, user_id, slug, social, version, created_at, updated_at)
SELECT u.id, u.id, 'author-' || lower(u.id), '[]', 1,
       strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM users u
WHERE u.id IN (SELECT user_id FROM article_authors)
  AND NOT EXISTS (SELECT 1 FROM authors a WHERE a.id = u.id);

DROP TRIGGER articles_public_at;
DROP TRIGGER article_summaries_author_name;

CREATE TEMP TABLE article_authors_copy AS SELECT article_id, user_id, position, public_at FROM article_authors;
DROP TABLE article_authors;
CREATE TABLE article_authors (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES authors (id),
    position   INTEGER NOT NULL,
    public_at  TIMESTAMP,
    PRIMARY KEY (article_id, user_id)
);
INSERT INTO article_authors (article_id, user_id, position, public_at)
SELECT article_id, user_id, position, public_at FROM article_authors_copy;
DROP TABLE article_authors_copy;
CREATE INDEX article_authors_user_idx ON article_authors (user_id, article_id);
CREATE INDEX article_authors_public_idx ON article_authors (user_id, public_at, article_id);

CREATE TRIGGER article_summaries_author_insert AFTER INSERT ON article_authors BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = new.article_id AND format <> 0;
END;
CREATE TRIGGER article_summaries_author_update AFTER UPDATE OF article_id, user_id, position ON article_authors BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (old.article_id, new.article_id) AND format <> 0;
END;
CREATE TRIGGER article_summaries_author_delete AFTER DELETE ON article_authors BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = old.article_id AND format <> 0;
END;
CREATE TRIGGER article_summaries_author_name AFTER UPDATE OF display_name ON users
WHEN old.display_name IS NOT new.display_name BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (SELECT article_id FROM article_authors WHERE user_id = new.id)
      AND format <> 0;
END;
-- A guest's name shows on their bylines like an account's.
CREATE TRIGGER article_summaries_guest_name AFTER UPDATE OF display_name ON authors
WHEN old.display_name IS NOT new.display_name BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (SELECT article_id FROM article_authors WHERE user_id = new.id)
      AND format <> 0;
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
CREATE TRIGGER articles_public_at AFTER UPDATE OF status, published_at ON articles
WHEN (CASE WHEN old.status = 'published' THEN old.published_at END)
     IS NOT (CASE WHEN new.status = 'published' THEN new.published_at END)
BEGIN
    UPDATE article_tags SET public_at = CASE WHEN new.status = 'published' THEN new.published_at END
    WHERE article_id = new.id;
    UPDATE article_authors SET public_at = CASE WHEN new.status = 'published' THEN new.published_at END
    WHERE article_id = new.id;
END;
