DROP TRIGGER article_summaries_caption ON captions;
DROP TRIGGER article_summaries_image ON images;
DROP FUNCTION article_summaries_picture();
