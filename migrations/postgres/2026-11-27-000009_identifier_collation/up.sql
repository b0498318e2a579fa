-- Identifiers and keys compare byte by byte (the "C" collation), as SQLite compares all text.
-- With the database's own collation (say en_US.UTF-8 or C.UTF-8) every comparison in these
-- columns' indexes went through the locale's strcoll: at a million articles that was about a
-- seventh of PostgreSQL's time for a list page. Only indexed keys change: ids, slugs, statuses,
-- tags, sections, languages, hashes. Their equality is the same under either collation (both are
-- deterministic); only their order changes, and for keyset cursors over ids, byte order is the
-- order SQLite already uses. Foreign keys change with the keys they reference. A new key column
-- should be declared `COLLATE "C"` too. One statement per table, so each index is rebuilt once;
-- the tables are locked while it runs (61 s at a million articles).
ALTER TABLE users
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN email_normalized TYPE TEXT COLLATE "C";
ALTER TABLE refresh_tokens
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN family_id TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C",
    ALTER COLUMN token_hash TYPE TEXT COLLATE "C";
ALTER TABLE articles
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN slug TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C",
    ALTER COLUMN section TYPE TEXT COLLATE "C",
    ALTER COLUMN language TYPE TEXT COLLATE "C",
    ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE article_authors
    ALTER COLUMN article_id TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE article_tags
    ALTER COLUMN article_id TYPE TEXT COLLATE "C",
    ALTER COLUMN tag TYPE TEXT COLLATE "C";
ALTER TABLE article_related
    ALTER COLUMN article_id TYPE TEXT COLLATE "C",
    ALTER COLUMN related_id TYPE TEXT COLLATE "C";
ALTER TABLE article_slugs
    ALTER COLUMN slug TYPE TEXT COLLATE "C",
    ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE article_revisions
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN article_id TYPE TEXT COLLATE "C",
    ALTER COLUMN editor_id TYPE TEXT COLLATE "C";
ALTER TABLE images
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN content_hash TYPE TEXT COLLATE "C",
    ALTER COLUMN uploaded_by TYPE TEXT COLLATE "C";
ALTER TABLE article_images
    ALTER COLUMN article_id TYPE TEXT COLLATE "C",
    ALTER COLUMN image_id TYPE TEXT COLLATE "C",
    ALTER COLUMN caption_id TYPE TEXT COLLATE "C";
ALTER TABLE captions
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN article_id TYPE TEXT COLLATE "C",
    ALTER COLUMN image_id TYPE TEXT COLLATE "C",
    ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE correction_reports
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN article_id TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C",
    ALTER COLUMN fingerprint TYPE TEXT COLLATE "C",
    ALTER COLUMN duplicate_of TYPE TEXT COLLATE "C";
-- A column whose type changes loses its planner statistics; nothing else would gather them again
-- until autovacuum next analyses each table.
ANALYZE users, refresh_tokens, articles, article_authors, article_tags, article_related, article_slugs, article_revisions, images, article_images, captions, correction_reports;
