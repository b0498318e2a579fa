DROP TABLE sitemap_bodies;
DROP TABLE sitemap_state;
ALTER TABLE sitemap_days DROP COLUMN version;
