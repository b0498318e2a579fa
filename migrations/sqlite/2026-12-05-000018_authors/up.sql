-- Public author profiles: what a byline links to. A profile is keyed by its own id; a staff
-- member's profile carries their user id (the id their bylines already show) and their account's
-- display name, so nothing about an article changes. Only what the author chose to show is here:
-- never the account's email, role or state. Every account gets a profile, its slug made from the
-- display name (numbered where two collide); later accounts get one when first bylined.
CREATE TABLE authors (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    slug            TEXT NOT NULL UNIQUE,
    job_title       TEXT,
    bio             TEXT,
    avatar_image_id TEXT REFERENCES images (id) ON DELETE SET NULL,
    website         TEXT,
    social          TEXT NOT NULL DEFAULT '[]',
    contact_email   TEXT,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
) WITHOUT ROWID;

WITH bases AS (
    SELECT id, display_name, coalesce(nullif(trim(
        replace(replace(replace(
            replace(replace(replace(replace(replace(replace(replace(replace(replace(
                lower(trim(display_name)),
                ' ', '-'), '_', '-'), '/', '-'), '.', '-'), ',', '-'), ':', '-'), '&', '-'),
                '''', ''), '"', ''),
            '--', '-'), '--', '-'), '--', '-'),
        '-'), ''), 'author') AS base
    FROM users
), numbered AS (
    SELECT id, base, row_number() OVER (PARTITION BY base ORDER BY id) AS n FROM bases
)
INSERT INTO authors (id, user_id, slug, social, version, created_at, updated_at)
SELECT id, id, CASE WHEN n = 1 THEN base ELSE base || '-' || n END, '[]', 1,
       strftime('%Y-%m-%d %H:%M:%f', 'now'), strftime('%Y-%m-%d %H:%M:%f', 'now')
FROM numbered;
