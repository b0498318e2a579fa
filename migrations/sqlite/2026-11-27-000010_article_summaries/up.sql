-- Each article's summary, rendered once as the JSON a public list shows, so that a list page is
-- one index range joined to these rows: no columns to decode, no tags and authors to look up, no
-- JSON to write. A NULL summary is stale: the triggers below set it NULL in the same statement as
-- any change to what it shows (the article, its tags, its authors, an author's name), so a
-- reader never sees a summary older than its article; lists render stale ones from their tables,
-- and the server renders them again in the background. Existing articles start stale.
CREATE TABLE article_summaries (
    article_id TEXT PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    summary    TEXT
) WITHOUT ROWID;
CREATE INDEX article_summaries_stale_idx ON article_summaries (article_id) WHERE summary IS NULL;
INSERT INTO article_summaries (article_id) SELECT id FROM articles;

CREATE TRIGGER article_summaries_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_summaries (article_id) VALUES (new.id);
END;
CREATE TRIGGER article_summaries_update AFTER UPDATE ON articles BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id = new.id AND summary IS NOT NULL;
END;
CREATE TRIGGER article_summaries_tag_insert AFTER INSERT ON article_tags BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id = new.article_id AND summary IS NOT NULL;
END;
CREATE TRIGGER article_summaries_tag_update AFTER UPDATE OF article_id, tag, position ON article_tags BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id IN (old.article_id, new.article_id) AND summary IS NOT NULL;
END;
CREATE TRIGGER article_summaries_tag_delete AFTER DELETE ON article_tags BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id = old.article_id AND summary IS NOT NULL;
END;
CREATE TRIGGER article_summaries_author_insert AFTER INSERT ON article_authors BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id = new.article_id AND summary IS NOT NULL;
END;
CREATE TRIGGER article_summaries_author_update AFTER UPDATE OF article_id, user_id, position ON article_authors BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id IN (old.article_id, new.article_id) AND summary IS NOT NULL;
END;
CREATE TRIGGER article_summaries_author_delete AFTER DELETE ON article_authors BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id = old.article_id AND summary IS NOT NULL;
END;
CREATE TRIGGER article_summaries_author_name AFTER UPDATE OF display_name ON users BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id IN (SELECT article_id FROM article_authors WHERE user_id = new.id)
      AND summary IS NOT NULL;
END;
