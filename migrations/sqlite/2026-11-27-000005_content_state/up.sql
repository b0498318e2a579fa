-- One row whose version every change to public content bumps in its own transaction: each
-- instance polls it to know when its cache of rendered responses is stale.
CREATE TABLE content_state (
    id      INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO content_state (id, version) VALUES (1, 0);
