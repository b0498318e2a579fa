-- Readers' correction reports, and the public corrections log they become.
CREATE TABLE correction_reports (
    id             TEXT PRIMARY KEY NOT NULL,
    article_id     TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    quote          TEXT NOT NULL,
    quote_found    BOOLEAN NOT NULL,
    quote_field    TEXT,
    quote_start    INTEGER,
    quote_end      INTEGER,
    suggestion     TEXT NOT NULL,
    comment        TEXT,
    reporter_name  TEXT,
    reporter_email TEXT,
    -- A keyed hash of the report and its sender, to store identical resubmissions once.
    fingerprint    TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('new', 'triaged', 'accepted', 'rejected', 'duplicate')),
    duplicate_of   TEXT REFERENCES correction_reports (id) ON DELETE SET NULL,
    editor_note    TEXT,
    public_note    TEXT,
    corrected_at   TIMESTAMP,
    erased_at      TIMESTAMP,
    version        BIGINT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
-- The triage queue: by status, oldest first.
CREATE INDEX correction_reports_queue_idx ON correction_reports (status, id);
CREATE INDEX correction_reports_article_idx ON correction_reports (article_id, status, id);
CREATE INDEX correction_reports_fingerprint_idx ON correction_reports (fingerprint, created_at);
