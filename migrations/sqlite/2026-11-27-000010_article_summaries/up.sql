-- Each article's summary, rendered once as the JSON a public list shows, so that a list page is
-- one index range joined to these rows: no columns to decode, no tags and authors to look up, no
-- JSON to write. A summary is current when its `format` is the one the server renders
-- (`summaries::FORMAT`, raised whenever the JSON changes); 0 is stale. The triggers below make a
-- summary stale in the same statement as any change to what it shows (the article, its tags,
-- its authors, an author's name), so a reader never sees a summary older than its article;
-- lists render stale ones from the tables, and the server renders them again in the
-- background. Existing articles start stale.
CREATE TABLE article_summaries (
    article_id TEXT PRIMARY KEY NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    format     INTEGER NOT NULL DEFAULT 0,
    summary    TEXT
) WITHOUT ROWID;
CREATE INDEX article_summaries_format_idx ON article_summaries (format);
INSERT INTO article_summaries (article_id) SELECT id FROM articles;

CREATE TRIGGER article_summaries_insert AFTER INSERT ON articles BEGIN
    INSERT INTO article_summaries (article_id) VALUES (new.id);
END;
CREATE TRIGGER article_summaries_update AFTER UPDATE ON articles BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = new.id AND format <> 0;
END;
CREATE TRIGGER article_summaries_tag_insert AFTER INSERT ON article_tags BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = new.article_id AND format <> 0;
END;
CREATE TRIGGER article_summaries_tag_update AFTER UPDATE OF article_id, tag, position ON article_tags BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (old.article_id, new.article_id) AND format <> 0;
END;
CREATE TRIGGER article_summaries_tag_delete AFTER DELETE ON article_tags BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = old.article_id AND format <> 0;
END;
CREATE TRIGGER article_summaries_author_insert AFTER INSERT ON article_authors BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = new.article_id AND format <> 0;
END;
CREATE TRIGGER article_summaries_author_update AFTER UPDATE OF article_id, user_id, position ON article_authors BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (old.article_id, new.article_id) AND format <> 0;
END;
CREATE TRIGGER article_summaries_author_delete AFTER DELETE ON article_authors BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = old.article_id AND format <> 0;
END;
-- Every article of the author, in the rename's transaction: a staff writer's thousands are
-- milliseconds; an author of a million would hold the writer for seconds.
CREATE TRIGGER article_summaries_author_name AFTER UPDATE OF display_name ON users
WHEN old.display_name IS NOT new.display_name BEGIN
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id IN (SELECT article_id FROM article_authors WHERE user_id = new.id)
      AND format <> 0;
END;
