-- Preview links: a token lets whoever holds it read one article's current draft until it
-- expires or is revoked. Only a hash of the token is kept. Deleting the article, or the account
-- that asked for the link, ends it.
CREATE TABLE preview_tokens (
    id          TEXT PRIMARY KEY NOT NULL,
    article_id  TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);

CREATE INDEX preview_tokens_article_idx ON preview_tokens (article_id);
CREATE INDEX preview_tokens_created_by_idx ON preview_tokens (created_by);
CREATE INDEX preview_tokens_expires_idx ON preview_tokens (expires_at);
