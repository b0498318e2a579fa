DROP TRIGGER sitemap_sections_slug;
DROP TRIGGER sitemap_articles_update;
DROP TRIGGER sitemap_articles_delete;
DROP TRIGGER sitemap_articles_insert;
DROP TABLE sitemap_changes;
DROP TABLE sitemap_days;
