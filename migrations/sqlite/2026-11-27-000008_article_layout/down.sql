PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE articles_new (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    slug              TEXT NOT NULL UNIQUE,
    title             TEXT NOT NULL,
    standfirst        TEXT NOT NULL,
    body              TEXT NOT NULL,
    body_html         TEXT NOT NULL,
    body_text         TEXT NOT NULL,
    excerpt           TEXT NOT NULL,
    excerpt_is_custom BOOLEAN NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
    published_at      TIMESTAMP,
    section           TEXT,
    language          TEXT NOT NULL,
    canonical_url     TEXT,
    sources           TEXT NOT NULL,
    featured_image    TEXT,
    created_by        TEXT NOT NULL REFERENCES users (id),
    version           BIGINT NOT NULL,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);
INSERT INTO articles_new (
    seq, id, slug, title, standfirst, excerpt, excerpt_is_custom, status, published_at, section,
    language, canonical_url, sources, featured_image, created_by, version, created_at, updated_at,
    body, body_html, body_text
) SELECT
    seq, id, slug, title, standfirst, excerpt, excerpt_is_custom, status, published_at, section,
    language, canonical_url, sources, featured_image, created_by, version, created_at, updated_at,
    body, body_html, body_text
FROM articles;
DROP TABLE articles;
ALTER TABLE articles_new RENAME TO articles;
CREATE INDEX articles_public_idx ON articles (status, published_at DESC, id DESC);
CREATE INDEX articles_section_idx ON articles (section, status, published_at DESC, id DESC);
CREATE INDEX articles_language_idx ON articles (language, status, published_at DESC, id DESC);
CREATE INDEX articles_created_by_idx ON articles (created_by);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts (rowid, title, standfirst, body_text)
    VALUES (new.seq, new.title, new.standfirst, new.body_text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, standfirst, body_text)
    VALUES ('delete', old.seq, old.title, old.standfirst, old.body_text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, standfirst, body_text ON articles BEGIN
    INSERT INTO articles_fts (articles_fts, rowid, title, standfirst, body_text)
    VALUES ('delete', old.seq, old.title, old.standfirst, old.body_text);
    INSERT INTO articles_fts (rowid, title, standfirst, body_text)
    VALUES (new.seq, new.title, new.standfirst, new.body_text);
END;
COMMIT;
PRAGMA foreign_keys = ON;
