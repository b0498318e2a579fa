-- Guest contributors: a profile without an account (`user_id` NULL) carries its own
-- `display_name`; a staff profile keeps NULL there and shows its account's name. A byline now
-- names an author profile (a staff member's profile has their user id as its id, so existing
-- bylines keep their values).
ALTER TABLE authors ADD COLUMN display_name TEXT;

-- A byline whose user has no profile yet gets one, its slug made unique by the user id.
INSERT INTO authors (id, user_id, slug, social, version, created_at, updated_at)
SELECT u.id, u.id, 'author-' || lower(u.id), '[]', 1,
       now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
FROM users u
WHERE u.id IN (SELECT user_id FROM article_authors)
  AND NOT EXISTS (SELECT 1 FROM authors a WHERE a.id = u.id);

ALTER TABLE article_authors DROP CONSTRAINT article_authors_user_id_fkey;
ALTER TABLE article_authors ADD CONSTRAINT article_authors_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES authors (id);

-- A guest's name shows on their bylines like an account's.
CREATE TRIGGER article_summaries_guest_name AFTER UPDATE OF display_name ON authors
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION article_summaries_author_name();
