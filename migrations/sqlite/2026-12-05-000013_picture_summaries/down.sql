DROP TRIGGER article_summaries_caption;
DROP TRIGGER article_summaries_image;
