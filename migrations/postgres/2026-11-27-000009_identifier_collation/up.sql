-- Identifiers and keys compare byte by byte (the "C" collation), as SQLite compares all text.
-- With the database's own collation (say en_US.UTF-8 or C.UTF-8) every comparison in these
-- columns' indexes went through the locale's strcoll: at a million articles that was about a
-- seventh of PostgreSQL's time for a list page. Only indexed keys change: ids, slugs, statuses,
-- tags, sections, languages, hashes. Their equality is the same under either collation (both are
-- deterministic); only their order changes, and for keyset cursors over ids, byte order is the
-- order SQLite already uses. A new indexed key column should be declared `COLLATE "C"` too.
ALTER TABLE users ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE users ALTER COLUMN email_normalized TYPE TEXT COLLATE "C";
ALTER TABLE refresh_tokens ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE refresh_tokens ALTER COLUMN family_id TYPE TEXT COLLATE "C";
ALTER TABLE refresh_tokens ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE refresh_tokens ALTER COLUMN token_hash TYPE TEXT COLLATE "C";
ALTER TABLE articles ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE articles ALTER COLUMN slug TYPE TEXT COLLATE "C";
ALTER TABLE articles ALTER COLUMN status TYPE TEXT COLLATE "C";
ALTER TABLE articles ALTER COLUMN section TYPE TEXT COLLATE "C";
ALTER TABLE articles ALTER COLUMN language TYPE TEXT COLLATE "C";
ALTER TABLE articles ALTER COLUMN created_by TYPE TEXT COLLATE "C";
ALTER TABLE article_authors ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE article_authors ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE article_tags ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE article_tags ALTER COLUMN tag TYPE TEXT COLLATE "C";
ALTER TABLE article_related ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE article_related ALTER COLUMN related_id TYPE TEXT COLLATE "C";
ALTER TABLE article_slugs ALTER COLUMN slug TYPE TEXT COLLATE "C";
ALTER TABLE article_slugs ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE article_revisions ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE article_revisions ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE images ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE images ALTER COLUMN content_hash TYPE TEXT COLLATE "C";
ALTER TABLE article_images ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE article_images ALTER COLUMN image_id TYPE TEXT COLLATE "C";
ALTER TABLE article_images ALTER COLUMN caption_id TYPE TEXT COLLATE "C";
ALTER TABLE captions ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE captions ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE captions ALTER COLUMN image_id TYPE TEXT COLLATE "C";
ALTER TABLE correction_reports ALTER COLUMN id TYPE TEXT COLLATE "C";
ALTER TABLE correction_reports ALTER COLUMN article_id TYPE TEXT COLLATE "C";
ALTER TABLE correction_reports ALTER COLUMN status TYPE TEXT COLLATE "C";
ALTER TABLE correction_reports ALTER COLUMN fingerprint TYPE TEXT COLLATE "C";
