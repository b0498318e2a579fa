-- Rendered sitemaps, so that a read of the sitemap index or of a day's sitemap is one row and
-- its bytes rather than a query of the day's articles (or of every day) and its XML each time.
--
-- * `sitemap_state.folds` counts the folds of `sitemap_changes` into `sitemap_days`; each fold
--   raises it and marks the days it touched with the new count (`sitemap_days.version`).
-- * `sitemap_state.index_*`: the index as rendered after fold `index_folds`.
-- * `sitemap_bodies`: a day's sitemap (each part of a large day) as rendered after the day's
--   fold `version`.
--
-- A body is served only while nothing was folded into it since (its version is current) and no
-- change to it waits to be folded; `links` names what else it was rendered with (the article
-- path pattern, the URLs per sitemap, the format), so a server configured otherwise renders it
-- itself. Bodies hold the URLs without the site's or API's base, which a read puts in after each
-- `<loc>`. Anything stale or missing is rendered again by the background job that folds.
ALTER TABLE sitemap_days ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE sitemap_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    folds       BIGINT NOT NULL,
    index_folds BIGINT,
    index_links TEXT,
    index_body  TEXT
);
INSERT INTO sitemap_state (id, folds) VALUES (1, 1);
UPDATE sitemap_days SET version = 1;

CREATE TABLE sitemap_bodies (
    day     DATE NOT NULL,
    part    INTEGER NOT NULL,
    version BIGINT NOT NULL,
    links   TEXT NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (day, part)
);
