-- Each article's summary, rendered once as the JSON a public list shows, so that a list page is
-- one index range joined to these rows: no columns to decode, no tags and authors to look up, no
-- JSON to write. A NULL summary is stale: the triggers below set it NULL in the same transaction
-- as any change to what it shows (the article, its tags, its authors, an author's name), so a
-- reader never sees a summary older than its article; lists render stale ones from their tables,
-- and the server renders them again in the background. Existing articles start stale.
CREATE TABLE article_summaries (
    article_id TEXT COLLATE "C" PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    summary    TEXT
);
CREATE INDEX article_summaries_stale_idx ON article_summaries (article_id) WHERE summary IS NULL;
INSERT INTO article_summaries (article_id) SELECT id FROM articles;

CREATE FUNCTION article_summaries_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO article_summaries (article_id) VALUES (NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER article_summaries_insert AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION article_summaries_new();

-- For articles (by id) and their tags and authors (by article_id), old and new. The update
-- touches a summary that is already stale as well: a server rendering it holds its row locked
-- (`FOR UPDATE`) from before it read the article, so this waits for that render to commit and
-- then sets it stale again. Skipping stale rows (`AND summary IS NOT NULL`) would let a render
-- that read the article before this change store it after.
CREATE FUNCTION article_summaries_stale() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed TEXT[];
BEGIN
    IF TG_TABLE_NAME = 'articles' THEN
        changed := ARRAY[NEW.id];
    ELSIF TG_OP = 'INSERT' THEN
        changed := ARRAY[NEW.article_id];
    ELSIF TG_OP = 'DELETE' THEN
        changed := ARRAY[OLD.article_id];
    ELSE
        changed := ARRAY[OLD.article_id, NEW.article_id];
    END IF;
    UPDATE article_summaries SET summary = NULL WHERE article_id = ANY (changed);
    RETURN NULL;
END $$;
CREATE TRIGGER article_summaries_update AFTER UPDATE ON articles
    FOR EACH ROW EXECUTE FUNCTION article_summaries_stale();
CREATE TRIGGER article_summaries_tags AFTER INSERT OR DELETE OR UPDATE OF article_id, tag, position
    ON article_tags FOR EACH ROW EXECUTE FUNCTION article_summaries_stale();
CREATE TRIGGER article_summaries_authors AFTER INSERT OR DELETE OR UPDATE OF article_id, user_id, position
    ON article_authors FOR EACH ROW EXECUTE FUNCTION article_summaries_stale();

CREATE FUNCTION article_summaries_author_name() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE article_summaries SET summary = NULL
    WHERE article_id IN (SELECT article_id FROM article_authors WHERE user_id = NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER article_summaries_author_name AFTER UPDATE OF display_name ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION article_summaries_author_name();
