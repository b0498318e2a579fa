DROP TRIGGER sitemap_sections_slug ON sections;
DROP FUNCTION sitemap_sections_slug();
DROP TRIGGER sitemap_articles_update ON articles;
DROP TRIGGER sitemap_articles_delete ON articles;
DROP TRIGGER sitemap_articles_insert ON articles;
DROP FUNCTION sitemap_articles_change();
DROP TABLE sitemap_changes;
DROP TABLE sitemap_days;
