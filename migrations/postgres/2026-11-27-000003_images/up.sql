-- One row per distinct file: the same bytes uploaded twice are one image.
CREATE TABLE images (
    id           TEXT PRIMARY KEY NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    byte_size    BIGINT NOT NULL,
    title        TEXT,
    alt_text     TEXT,
    credit       TEXT,
    license      TEXT,
    source_url   TEXT,
    uploaded_by  TEXT REFERENCES users (id) ON DELETE SET NULL,
    version      BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);

-- The words under an image where an article uses it.
CREATE TABLE captions (
    id           TEXT PRIMARY KEY NOT NULL,
    image_id     TEXT NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    article_id   TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    credit       TEXT,
    illustrative BOOLEAN NOT NULL,
    created_by   TEXT REFERENCES users (id) ON DELETE SET NULL,
    version      BIGINT NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX captions_image_idx ON captions (image_id, id);
CREATE INDEX captions_article_idx ON captions (article_id, id);

-- Which images an article shows (featured, and in body blocks), kept on every article write:
-- it decides when an image is public, and blocks deleting an image in use.
CREATE TABLE article_images (
    article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    image_id   TEXT NOT NULL REFERENCES images (id),
    caption_id TEXT REFERENCES captions (id),
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_images_image_idx ON article_images (image_id);
CREATE INDEX article_images_caption_idx ON article_images (caption_id);
