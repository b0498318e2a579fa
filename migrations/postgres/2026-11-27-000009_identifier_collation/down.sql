-- Back to the database's own collation.
ALTER TABLE users
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN email_normalized TYPE TEXT COLLATE "default";
ALTER TABLE refresh_tokens
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN family_id TYPE TEXT COLLATE "default",
    ALTER COLUMN user_id TYPE TEXT COLLATE "default",
    ALTER COLUMN token_hash TYPE TEXT COLLATE "default";
ALTER TABLE articles
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN slug TYPE TEXT COLLATE "default",
    ALTER COLUMN status TYPE TEXT COLLATE "default",
    ALTER COLUMN section TYPE TEXT COLLATE "default",
    ALTER COLUMN language TYPE TEXT COLLATE "default",
    ALTER COLUMN created_by TYPE TEXT COLLATE "default";
ALTER TABLE article_authors
    ALTER COLUMN article_id TYPE TEXT COLLATE "default",
    ALTER COLUMN user_id TYPE TEXT COLLATE "default";
ALTER TABLE article_tags
    ALTER COLUMN article_id TYPE TEXT COLLATE "default",
    ALTER COLUMN tag TYPE TEXT COLLATE "default";
ALTER TABLE article_related
    ALTER COLUMN article_id TYPE TEXT COLLATE "default",
    ALTER COLUMN related_id TYPE TEXT COLLATE "default";
ALTER TABLE article_slugs
    ALTER COLUMN slug TYPE TEXT COLLATE "default",
    ALTER COLUMN article_id TYPE TEXT COLLATE "default";
ALTER TABLE article_revisions
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN article_id TYPE TEXT COLLATE "default",
    ALTER COLUMN editor_id TYPE TEXT COLLATE "default";
ALTER TABLE images
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN content_hash TYPE TEXT COLLATE "default",
    ALTER COLUMN uploaded_by TYPE TEXT COLLATE "default";
ALTER TABLE article_images
    ALTER COLUMN article_id TYPE TEXT COLLATE "default",
    ALTER COLUMN image_id TYPE TEXT COLLATE "default",
    ALTER COLUMN caption_id TYPE TEXT COLLATE "default";
ALTER TABLE captions
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN article_id TYPE TEXT COLLATE "default",
    ALTER COLUMN image_id TYPE TEXT COLLATE "default",
    ALTER COLUMN created_by TYPE TEXT COLLATE "default";
ALTER TABLE correction_reports
    ALTER COLUMN id TYPE TEXT COLLATE "default",
    ALTER COLUMN article_id TYPE TEXT COLLATE "default",
    ALTER COLUMN status TYPE TEXT COLLATE "default",
    ALTER COLUMN fingerprint TYPE TEXT COLLATE "default",
    ALTER COLUMN duplicate_of TYPE TEXT COLLATE "default";
-- A column whose type changes loses its planner statistics; nothing else would gather them again
-- until autovacuum next analyses each table.
ANALYZE users, refresh_tokens, articles, article_authors, article_tags, article_related, article_slugs, article_revisions, images, article_images, captions, correction_reports;
