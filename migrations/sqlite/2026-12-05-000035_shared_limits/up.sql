-- The limits PostgreSQL shares between instances (see the PostgreSQL migration of this name).
-- On SQLite there is one instance and the limits stay in its process; the table exists so that
-- both schemas have the same tables, and is never written.
CREATE TABLE shared_limits (
    key         BLOB PRIMARY KEY NOT NULL,
    count       INTEGER NOT NULL,
    at_us       BIGINT NOT NULL,
    until_us    BIGINT NOT NULL,
    expires_us  BIGINT NOT NULL
);

CREATE INDEX shared_limits_expires_idx ON shared_limits (expires_us);
