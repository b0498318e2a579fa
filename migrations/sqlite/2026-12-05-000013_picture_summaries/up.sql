-- A list card shows its featured image: the image's alt text and credit, and the caption's text,
-- credit and illustrative flag. A change to any of them makes the summaries that show it stale,
-- in the same statement, as a change to the article does (000010). Position 0 is the featured
-- image; body images are not on cards.
CREATE TRIGGER article_summaries_image AFTER UPDATE OF alt_text, credit, width, height ON images
WHEN old.alt_text IS NOT new.alt_text OR old.credit IS NOT new.credit
  OR old.width IS NOT new.width OR old.height IS NOT new.height BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (SELECT article_id FROM article_images
                         WHERE image_id = new.id AND position = 0)
      AND format <> 0;
END;
CREATE TRIGGER article_summaries_caption AFTER UPDATE OF text, credit, illustrative ON captions
WHEN old.text IS NOT new.text OR old.credit IS NOT new.credit
  OR old.illustrative IS NOT new.illustrative BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (SELECT article_id FROM article_images
                         WHERE caption_id = new.id AND position = 0)
      AND format <> 0;
END;
