-- `seq` gives SQLite a stable integer key for the full-text index; `id` (UUIDv7) is the API's.
CREATE TABLE articles (
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
-- Public lists: published and due, newest first, keyset cursor on (published_at, id).
CREATE INDEX articles_public_idx ON articles (status, published_at DESC, id DESC);
CREATE INDEX articles_section_idx ON articles (section, status, published_at DESC, id DESC);
CREATE INDEX articles_language_idx ON articles (language, status, published_at DESC, id DESC);
CREATE INDEX articles_created_by_idx ON articles (created_by);

CREATE TABLE article_authors (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, user_id)
);
CREATE INDEX article_authors_user_idx ON article_authors (user_id, article_id);

CREATE TABLE article_tags (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag        TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, tag)
);
CREATE INDEX article_tags_tag_idx ON article_tags (tag, article_id);

CREATE TABLE article_related (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    related_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, related_id)
);
CREATE INDEX article_related_related_idx ON article_related (related_id);

-- Earlier slugs of an article, so that old links keep working.
CREATE TABLE article_slugs (
    slug       TEXT PRIMARY KEY NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE
);
CREATE INDEX article_slugs_article_idx ON article_slugs (article_id);

CREATE TABLE article_revisions (
    id         TEXT PRIMARY KEY NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    version    BIGINT NOT NULL,
    editor_id  TEXT REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    changed    TEXT NOT NULL,
    snapshot   TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (article_id, version)
);

-- Full-text search (SQLite's half of the one backend-specific feature): an FTS5 index over
-- the article table's own text, kept in step by triggers on every write.
CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, standfirst, body_text,
    content = 'articles', content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Title weighs most, then the standfirst, then the body.
INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 4.0, 1.0)');
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
