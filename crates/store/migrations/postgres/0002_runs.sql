-- Running actions: the run log and idempotency records. Keep in step with
-- ../sqlite/0002_runs.sql (only column types differ).

-- One row per execution of an action. Never a request or response body, never a secret.
CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    action        TEXT NOT NULL,
    source        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    front_status  BIGINT,
    duration_us   BIGINT NOT NULL,
    retries       BIGINT NOT NULL,
    waited_ms     BIGINT NOT NULL,
    error         TEXT,
    started_at    BIGINT NOT NULL
);
CREATE INDEX runs_by_project ON runs (project_id, started_at, id);
CREATE INDEX runs_by_account ON runs (project_id, account_id, started_at, id);

-- Idempotency-Key records: the first request under a key is run, later ones with the same
-- request get its stored result. status and response stay NULL while it is in progress.
CREATE TABLE idempotency_keys (
    project_id    TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  BYTEA NOT NULL,
    status        BIGINT,
    response      TEXT,
    locked_until  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    PRIMARY KEY (project_id, idem_key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
