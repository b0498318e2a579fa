-- Webhooks: the endpoints admins register, the outbox of events (written in the transaction of
-- the change they announce), one delivery per endpoint and event, and a log of every attempt.
-- Keys compare byte by byte (COLLATE "C"), as SQLite compares all text.
CREATE TABLE webhook_endpoints (
    id                         TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    url                        TEXT NOT NULL,
    description                TEXT,
    -- The event types it receives, as a JSON array of strings.
    events                     TEXT NOT NULL,
    -- `whsec_…`; after a rotation the previous one also signs until it expires.
    secret                     TEXT NOT NULL,
    previous_secret            TEXT,
    previous_secret_expires_at TIMESTAMP,
    disabled_at                TIMESTAMP,
    disabled_reason            TEXT,
    version                    BIGINT NOT NULL,
    created_at                 TIMESTAMP NOT NULL,
    updated_at                 TIMESTAMP NOT NULL
);

CREATE TABLE webhook_events (
    -- `msg_…`, sent as `webhook-id` on every attempt.
    id            TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    event_type    TEXT COLLATE "C" NOT NULL,
    -- The article an event is about, so that a scheduled publication can be withdrawn.
    subject       TEXT COLLATE "C",
    payload       TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    -- Not sent before this time (a scheduled publication's).
    deliver_after TIMESTAMP NOT NULL
);
CREATE INDEX webhook_events_subject_idx ON webhook_events (subject, event_type, deliver_after);
CREATE INDEX webhook_events_created_idx ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id               TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    endpoint_id      TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT COLLATE "C" NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    status           TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    -- An instance sending it holds it until then (a crashed one's lease runs out).
    claimed_until    TIMESTAMP,
    claimed_by       TEXT,
    last_status_code INTEGER,
    updated_at       TIMESTAMP NOT NULL
);
-- The worker's queue: pending deliveries by when they are due.
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, status);

CREATE TABLE webhook_attempts (
    id           TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    delivery_id  TEXT COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id  TEXT COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id     TEXT COLLATE "C" NOT NULL,
    event_type   TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    status_code  INTEGER,
    duration_ms  BIGINT NOT NULL,
    error        TEXT
);
-- An endpoint's log, newest first.
CREATE INDEX webhook_attempts_endpoint_idx ON webhook_attempts (endpoint_id, id);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id);
