-- Sections: the site's navigation, which editors create, rename, reorder and retire. An article
-- names its section by the section's name in `articles.section` (what the API has always served
-- there); renaming a section rewrites that column in the rename's transaction, so the summary
-- triggers make those articles' cards stale. A retired section is off the navigation but its
-- articles keep it. Existing free-text values become sections: slugs made from the names
-- (lower-cased, separators turned into `-`, a number added where two collide), positions by name.
CREATE TABLE sections (
    slug        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL UNIQUE,
    description TEXT,
    position    BIGINT NOT NULL,
    retired     BOOLEAN NOT NULL DEFAULT 0,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
) WITHOUT ROWID;
CREATE INDEX sections_position_idx ON sections (position, name);

WITH names AS (
    SELECT DISTINCT section AS name FROM articles WHERE section IS NOT NULL AND section <> ''
), bases AS (
    SELECT name, coalesce(nullif(trim(
        replace(replace(replace(
            replace(replace(replace(replace(replace(replace(replace(replace(replace(
                lower(trim(name)),
                ' ', '-'), '_', '-'), '/', '-'), '.', '-'), ',', '-'), ':', '-'), '&', '-'),
                '''', ''), '"', ''),
            '--', '-'), '--', '-'), '--', '-'),
        '-'), ''), 'section') AS base
    FROM names
), numbered AS (
    SELECT name, base,
           row_number() OVER (PARTITION BY base ORDER BY name) AS n,
           row_number() OVER (ORDER BY name) AS position
    FROM bases
)
INSERT INTO sections (slug, name, position, retired, version, created_at, updated_at)
SELECT CASE WHEN n = 1 THEN base ELSE base || '-' || n END, name, position, 0, 1,
       strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM numbered;
