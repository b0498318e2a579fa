-- Each article's summary, rendered once as the JSON a public list shows, so that a list page is
-- one index range joined to these rows: no columns to decode, no tags and authors to look up, no
-- JSON to write. A summary is current when its `format` is the one the server renders
-- (`summaries::FORMAT`, raised whenever the JSON changes); 0 is stale. The triggers below make a
-- summary stale in the same transaction as any change to what it shows (the article, its tags,
-- its authors, an author's name), so a reader never sees a summary older than its article;
-- lists render stale ones from the tables, and the server renders them again in the
-- background. Existing articles start stale.
CREATE TABLE article_summaries (
    article_id TEXT COLLATE "C" PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    format     INTEGER NOT NULL DEFAULT 0,
    summary    TEXT
);
CREATE INDEX article_summaries_format_idx ON article_summaries (format);
INSERT INTO article_summaries (article_id) SELECT id FROM articles;

CREATE FUNCTION article_summaries_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_summaries (article_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER article_summaries_insert AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION article_summaries_new();

-- Makes the summaries of `changed` stale. It locks them first, stale or not: a server rendering
-- one holds it locked (`FOR UPDATE`) from before it read the article, so this waits for that
-- render to commit and then makes it stale again (with only the current ones, a render that read
-- the article before this change could store it after). Held until this transaction ends, the
-- lock also keeps renders off until the change is committed.
CREATE FUNCTION article_summaries_make_stale(changed TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM article_summaries WHERE article_id = ANY (changed) FOR UPDATE;
    UPDATE article_summaries SET format = 0, summary = NULL
    WHERE article_id = ANY (changed) AND format <> 0;
END $$;

-- For articles (by id) and their tags and authors (by article_id), old and new.
CREATE FUNCTION article_summaries_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'articles' THEN
        PERFORM article_summaries_make_stale(ARRAY[NEW.id]);
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM article_summaries_make_stale(ARRAY[NEW.article_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM article_summaries_make_stale(ARRAY[OLD.article_id]);
    ELSE
        PERFORM article_summaries_make_stale(ARRAY[OLD.article_id, NEW.article_id]);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER article_summaries_update AFTER UPDATE ON articles
    FOR EACH ROW EXECUTE FUNCTION article_summaries_stale();
CREATE TRIGGER article_summaries_tags AFTER INSERT OR DELETE OR UPDATE OF article_id, tag, position
    ON article_tags FOR EACH ROW EXECUTE FUNCTION article_summaries_stale();
CREATE TRIGGER article_summaries_authors AFTER INSERT OR DELETE OR UPDATE OF article_id, user_id, position
    ON article_authors FOR EACH ROW EXECUTE FUNCTION article_summaries_stale();

-- Every article of the author, in the rename's transaction: a staff writer's thousands are
-- milliseconds; an author of a million would hold the rename for seconds. An article saved with
-- this author at the same time locks the author's row (`FOR SHARE`), so the rename sees its byline
-- or it sees the new name.
CREATE FUNCTION article_summaries_author_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM article_summaries_make_stale(
        ARRAY(SELECT article_id FROM article_authors WHERE user_id = NEW.id));
    RETURN NULL;
END $$;
CREATE TRIGGER article_summaries_author_name AFTER UPDATE OF display_name ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION article_summaries_author_name();
