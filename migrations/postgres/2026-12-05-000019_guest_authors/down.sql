-- Back to bylines naming accounts: guests' bylines and profiles go.
DROP TRIGGER article_summaries_guest_name ON authors;
DELETE FROM article_authors WHERE user_id IN (SELECT id FROM authors WHERE user_id IS NULL);
DELETE FROM authors WHERE user_id IS NULL;
ALTER TABLE article_authors DROP CONSTRAINT article_authors_user_id_fkey;
ALTER TABLE article_authors ADD CONSTRAINT article_authors_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE authors DROP COLUMN display_name;
