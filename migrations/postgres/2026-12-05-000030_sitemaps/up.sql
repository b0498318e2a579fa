-- Sitemaps cut the public archive into one sitemap per publication day (UTC), so the sitemap
-- index needs, per day, how many articles are public and when that day's sitemap last changed.
-- Counting and grouping a million articles per request is too slow, so the database keeps it:
--
-- * `sitemap_changes`: every write that changes a day's sitemap (an article published, taken
--   down, deleted, edited while public, moved in time) appends a row here, in the write's own
--   statement, from the trigger below: the day, the change in its count (+1, -1 or 0) and the
--   time it becomes visible (the write's time, or a scheduled article's publication time).
--   Appending never waits for another writer, so concurrent saves do not queue on a counter row.
-- * `sitemap_days`: the changes folded per day (count and newest change), by a background job.
--
-- A read takes the days plus the changes not yet folded and visible by now, in one statement:
-- exact at every moment, and a scheduled article counts from its time on.
CREATE TABLE sitemap_days (
    day        DATE PRIMARY KEY NOT NULL,
    articles   BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);

CREATE TABLE sitemap_changes (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day          DATE NOT NULL,
    delta        BIGINT NOT NULL,
    effective_at TIMESTAMP NOT NULL
);
CREATE INDEX sitemap_changes_effective_idx ON sitemap_changes (effective_at);

-- The archive as it stands: public articles per day; scheduled ones wait as changes.
INSERT INTO sitemap_days (day, articles, changed_at)
SELECT published_at::date, count(*), max(greatest(updated_at, published_at))
FROM articles
WHERE status = 'published' AND published_at <= (now() AT TIME ZONE 'UTC')
GROUP BY published_at::date;
INSERT INTO sitemap_changes (day, delta, effective_at)
SELECT published_at::date, 1, published_at
FROM articles
WHERE status = 'published' AND published_at > (now() AT TIME ZONE 'UTC');

-- An article is in a day's sitemap while it is published (with a time); it enters at
-- greatest(write time, publication time) and leaves the same way, so a scheduled story that is
-- taken back before its time enters and leaves at that time (its day's count is unchanged).
-- The write's time is the article's new `updated_at`; a rewrite that keeps it (a section renamed
-- under its articles) or a delete is timed by the clock.
CREATE FUNCTION sitemap_articles_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_public boolean := TG_OP <> 'INSERT' AND OLD.status = 'published' AND OLD.published_at IS NOT NULL;
    is_public boolean := TG_OP <> 'DELETE' AND NEW.status = 'published' AND NEW.published_at IS NOT NULL;
    written timestamp;
BEGIN
    IF TG_OP = 'INSERT' THEN
        written := NEW.updated_at;
    ELSIF TG_OP = 'UPDATE' AND NEW.updated_at IS DISTINCT FROM OLD.updated_at THEN
        written := NEW.updated_at;
    ELSE
        written := clock_timestamp() AT TIME ZONE 'UTC';
    END IF;
    IF was_public AND is_public AND NEW.published_at = OLD.published_at THEN
        -- Changed in place (an edit, a correction, a new slug or section): the same count.
        INSERT INTO sitemap_changes (day, delta, effective_at)
        VALUES (NEW.published_at::date, 0, greatest(written, NEW.published_at));
        RETURN NULL;
    END IF;
    IF was_public THEN
        INSERT INTO sitemap_changes (day, delta, effective_at)
        VALUES (OLD.published_at::date, -1, greatest(written, OLD.published_at));
    END IF;
    IF is_public THEN
        INSERT INTO sitemap_changes (day, delta, effective_at)
        VALUES (NEW.published_at::date, 1, greatest(written, NEW.published_at));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sitemap_articles_insert AFTER INSERT ON articles
    FOR EACH ROW
    WHEN (NEW.status = 'published' AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION sitemap_articles_change();
CREATE TRIGGER sitemap_articles_delete AFTER DELETE ON articles
    FOR EACH ROW
    WHEN (OLD.status = 'published' AND OLD.published_at IS NOT NULL)
    EXECUTE FUNCTION sitemap_articles_change();
CREATE TRIGGER sitemap_articles_update AFTER UPDATE OF status, published_at, updated_at, slug, section ON articles
    FOR EACH ROW
    WHEN ((OLD.status = 'published' AND OLD.published_at IS NOT NULL)
          OR (NEW.status = 'published' AND NEW.published_at IS NOT NULL))
    EXECUTE FUNCTION sitemap_articles_change();

-- A section's new slug moves its articles' pages (under a `{section}` path) without touching
-- their rows: each day with one of them changes.
CREATE FUNCTION sitemap_sections_slug() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sitemap_changes (day, delta, effective_at)
    SELECT DISTINCT published_at::date, 0, clock_timestamp() AT TIME ZONE 'UTC'
    FROM articles
    WHERE section IN (OLD.name, NEW.name) AND status = 'published' AND published_at IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER sitemap_sections_slug AFTER UPDATE OF slug ON sections
    FOR EACH ROW
    WHEN (OLD.slug IS DISTINCT FROM NEW.slug)
    EXECUTE FUNCTION sitemap_sections_slug();
