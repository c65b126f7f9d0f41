-- Webhooks: endpoints and their signing secrets, the events the hub saw, one delivery per event
-- and endpoint with every attempt, and the cursor (with its lease) of each followed Front
-- company. Keep in step with ../postgres/0005_webhooks.sql (only column types differ).

CREATE TABLE webhook_endpoints (
    id             TEXT PRIMARY KEY,
    project_id     TEXT NOT NULL REFERENCES projects (id),
    url            TEXT NOT NULL,
    -- JSON array of event types and wildcards (`front.tag`, `front.*`, `*`).
    event_types    TEXT NOT NULL,
    -- JSON array of account ids; NULL: every account of the project.
    account_ids    TEXT,
    description    TEXT,
    -- Since when every attempt has failed (NULL after a success); disabled past a limit.
    failing_since  INTEGER,
    disabled_at    INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_project ON webhook_endpoints (project_id, created_at, id);

-- Signing secrets, sealed by the vault (bound to project, endpoint and secret id). The current
-- one has no expiry; a rotated one keeps signing until expires_at.
CREATE TABLE webhook_secrets (
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    secret_id    TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    key_version  INTEGER NOT NULL,
    sealed       BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    PRIMARY KEY (endpoint_id, secret_id)
);
CREATE INDEX webhook_secrets_by_key_version ON webhook_secrets (key_version);

-- Events to deliver: Front's (id `evt_…`, company set, payload exactly as Front wrote it) and
-- the hub's own about an account (project and account set, payload describes the account).
CREATE TABLE hub_events (
    id           TEXT PRIMARY KEY,
    company_id   TEXT,
    project_id   TEXT,
    account_id   TEXT,
    event_type   TEXT NOT NULL,
    occurred_at  INTEGER NOT NULL,
    payload      TEXT NOT NULL
);
CREATE INDEX hub_events_by_company ON hub_events (company_id, occurred_at);
CREATE INDEX hub_events_by_project ON hub_events (project_id, occurred_at);
CREATE INDEX hub_events_by_time ON hub_events (occurred_at);

-- One message per event and endpoint; its id is the `webhook-id` on every attempt.
-- status: pending, delivered or failed. A hub sending it holds claimed_by until claimed_until.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    project_id       TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    claimed_by       TEXT,
    claimed_until    INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_id);

-- Every attempt: when, the answer's status, how long, what went wrong (a kind and a short
-- cleaned excerpt of the answer, never a secret).
CREATE TABLE webhook_attempts (
    id            TEXT PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at  INTEGER NOT NULL,
    status_code   INTEGER,
    latency_ms    INTEGER NOT NULL,
    error_kind    TEXT,
    excerpt       TEXT
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, attempted_at);

-- Where the hub is in each Front company's event stream: the emitted_at of the last event
-- taken (Unix seconds, as Front writes it) and the ids taken at exactly that time (events can
-- share it). One hub follows a company at a time: lease_holder until lease_until.
CREATE TABLE event_streams (
    company_id    TEXT PRIMARY KEY,
    cursor_at     REAL NOT NULL,
    boundary_ids  TEXT NOT NULL,
    lease_holder  TEXT,
    lease_until   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
