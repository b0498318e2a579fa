DROP INDEX article_authors_public_idx;
DROP INDEX article_tags_public_idx;
ALTER TABLE article_authors DROP COLUMN public_at;
ALTER TABLE article_tags DROP COLUMN public_at;
