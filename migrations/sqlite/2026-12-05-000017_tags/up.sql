-- Tags stay strings on their articles (`article_tags.tag`, lower-cased), and a tag's slug is that
-- string. A row here is needed only for what a string cannot say: a display name, a description,
-- or that the tag was merged into another (its articles moved there, its slug leading there).
CREATE TABLE tags (
    slug        TEXT PRIMARY KEY NOT NULL,
    name        TEXT,
    description TEXT,
    merged_into TEXT,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
) WITHOUT ROWID;
-- Counting a tag's published articles reads `article_tags_public_idx` (000006) alone.
