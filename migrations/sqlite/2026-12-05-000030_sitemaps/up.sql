-- Sitemaps cut the public archive into one sitemap per publication day (UTC), so the sitemap
-- index needs, per day, how many articles are public and when that day's sitemap last changed.
-- Counting and grouping a million articles per request is too slow, so the database keeps it:
--
-- * `sitemap_changes`: every write that changes a day's sitemap (an article published, taken
--   down, deleted, edited while public, moved in time) appends a row here, in the write's own
--   statement, from the triggers below: the day, the change in its count (+1, -1 or 0) and the
--   time it becomes visible (the write's time, or a scheduled article's publication time).
--   Appending never waits for another writer, so concurrent saves on PostgreSQL do not queue on
--   a counter row.
-- * `sitemap_days`: the changes folded per day (count and newest change), by a background job.
--
-- A read takes the days plus the changes not yet folded and visible by now, in one statement:
-- exact at every moment, and a scheduled article counts from its time on.
CREATE TABLE sitemap_days (
    day        DATE PRIMARY KEY NOT NULL,
    articles   BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL
) WITHOUT ROWID;

CREATE TABLE sitemap_changes (
    seq          INTEGER PRIMARY KEY,
    day          DATE NOT NULL,
    delta        BIGINT NOT NULL,
    effective_at TIMESTAMP NOT NULL
);
CREATE INDEX sitemap_changes_effective_idx ON sitemap_changes (effective_at);

-- The archive as it stands: public articles per day; scheduled ones wait as changes.
INSERT INTO sitemap_days (day, articles, changed_at)
SELECT date(published_at), count(*), max(max(updated_at, published_at))
FROM articles
WHERE status = 'published' AND published_at <= strftime('%Y-%m-%d %H:%M:%f', 'now')
GROUP BY date(published_at);
INSERT INTO sitemap_changes (day, delta, effective_at)
SELECT date(published_at), 1, published_at
FROM articles
WHERE status = 'published' AND published_at > strftime('%Y-%m-%d %H:%M:%f', 'now');

-- An article is in a day's sitemap while it is published (with a time); it enters at
-- max(write time, publication time) and leaves the same way, so a scheduled story that is
-- taken back before its time enters and leaves at that time (its day's count is unchanged).
CREATE TRIGGER sitemap_articles_insert AFTER INSERT ON articles
WHEN new.status = 'published' AND new.published_at IS NOT NULL
BEGIN
    INSERT INTO sitemap_changes (day, delta, effective_at)
    VALUES (date(new.published_at), 1, max(new.updated_at, new.published_at));
END;

CREATE TRIGGER sitemap_articles_delete AFTER DELETE ON articles
WHEN old.status = 'published' AND old.published_at IS NOT NULL
BEGIN
    INSERT INTO sitemap_changes (day, delta, effective_at)
    VALUES (date(old.published_at), -1,
            max(strftime('%Y-%m-%d %H:%M:%f', 'now'), old.published_at));
END;

-- The write's time is the article's new `updated_at`; a rewrite that keeps it (a section
-- renamed under its articles) is timed by the clock.
CREATE TRIGGER sitemap_articles_update AFTER UPDATE OF status, published_at, updated_at, slug, section ON articles
WHEN (old.status = 'published' AND old.published_at IS NOT NULL)
  OR (new.status = 'published' AND new.published_at IS NOT NULL)
BEGIN
    -- Out of the old day (taken down, deleted or moved in time).
    INSERT INTO sitemap_changes (day, delta, effective_at)
    SELECT date(old.published_at), -1, max(
        CASE WHEN new.updated_at IS NOT old.updated_at THEN new.updated_at
             ELSE strftime('%Y-%m-%d %H:%M:%f', 'now') END,
        old.published_at)
    WHERE old.status = 'published' AND old.published_at IS NOT NULL
      AND (new.status IS NOT 'published' OR new.published_at IS NOT old.published_at);
    -- Into the new day.
    INSERT INTO sitemap_changes (day, delta, effective_at)
    SELECT date(new.published_at), 1, max(
        CASE WHEN new.updated_at IS NOT old.updated_at THEN new.updated_at
             ELSE strftime('%Y-%m-%d %H:%M:%f', 'now') END,
        new.published_at)
    WHERE new.status = 'published' AND new.published_at IS NOT NULL
      AND (old.status IS NOT 'published' OR old.published_at IS NOT new.published_at);
    -- Changed in place (an edit, a correction, a new slug or section): the same count.
    INSERT INTO sitemap_changes (day, delta, effective_at)
    SELECT date(new.published_at), 0, max(
        CASE WHEN new.updated_at IS NOT old.updated_at THEN new.updated_at
             ELSE strftime('%Y-%m-%d %H:%M:%f', 'now') END,
        new.published_at)
    WHERE new.status = 'published' AND old.status = 'published'
      AND new.published_at IS NOT NULL AND new.published_at IS old.published_at;
END;

-- A section's new slug moves its articles' pages (under a `{section}` path) without touching
-- their rows: each day with one of them changes.
CREATE TRIGGER sitemap_sections_slug AFTER UPDATE OF slug ON sections
WHEN old.slug IS NOT new.slug
BEGIN
    INSERT INTO sitemap_changes (day, delta, effective_at)
    SELECT DISTINCT date(published_at), 0, strftime('%Y-%m-%d %H:%M:%f', 'now')
    FROM articles
    WHERE section IN (old.name, new.name) AND status = 'published' AND published_at IS NOT NULL;
END;
