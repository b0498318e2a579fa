-- A list card shows its featured image: the image's alt text and credit, and the caption's text,
-- credit and illustrative flag. A change to any of them makes the summaries that show it stale,
-- in the same transaction and under the same locks as a change to the article (000010). Position
-- 0 is the featured image; body images are not on cards.
CREATE FUNCTION article_summaries_picture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'images' THEN
        PERFORM article_summaries_make_stale(ARRAY(
            SELECT article_id FROM article_images WHERE image_id = NEW.id AND position = 0));
    ELSE
        PERFORM article_summaries_make_stale(ARRAY(
            SELECT article_id FROM article_images WHERE caption_id = NEW.id AND position = 0));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER article_summaries_image AFTER UPDATE OF alt_text, credit, width, height ON images
    FOR EACH ROW WHEN (OLD.alt_text IS DISTINCT FROM NEW.alt_text
        OR OLD.credit IS DISTINCT FROM NEW.credit
        OR OLD.width IS DISTINCT FROM NEW.width OR OLD.height IS DISTINCT FROM NEW.height)
    EXECUTE FUNCTION article_summaries_picture();
CREATE TRIGGER article_summaries_caption AFTER UPDATE OF text, credit, illustrative ON captions
    FOR EACH ROW WHEN (OLD.text IS DISTINCT FROM NEW.text
        OR OLD.credit IS DISTINCT FROM NEW.credit
        OR OLD.illustrative IS DISTINCT FROM NEW.illustrative)
    EXECUTE FUNCTION article_summaries_picture();
