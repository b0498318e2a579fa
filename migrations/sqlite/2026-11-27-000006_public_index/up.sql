-- Tag and author lists at a million articles: each link row carries its article's publication
-- time while the article is published (NULL otherwise), so a tag's or an author's newest public
-- articles are one index range, not a scan of every article with that tag.
ALTER TABLE article_tags ADD COLUMN public_at TIMESTAMP;
ALTER TABLE article_authors ADD COLUMN public_at TIMESTAMP;
UPDATE article_tags SET public_at = (
    SELECT a.published_at FROM articles a WHERE a.id = article_tags.article_id AND a.status = 'published'
);
UPDATE article_authors SET public_at = (
    SELECT a.published_at FROM articles a WHERE a.id = article_authors.article_id AND a.status = 'published'
);
CREATE INDEX article_tags_public_idx ON article_tags (tag, public_at, article_id);
CREATE INDEX article_authors_public_idx ON article_authors (user_id, public_at, article_id);
