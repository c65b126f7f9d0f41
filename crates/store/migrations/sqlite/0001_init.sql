-- actionhub schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql: the two differ
-- only in column types (INTEGER/BLOB here, BIGINT/BYTEA there).
-- Timestamps are Unix milliseconds; JSON values are stored as text.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects (id),
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      BLOB NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at);

CREATE TABLE accounts (
    id                     TEXT PRIMARY KEY,
    project_id             TEXT NOT NULL REFERENCES projects (id),
    provider               TEXT NOT NULL,
    origin_owner_id        TEXT NOT NULL,
    origin_owner_name      TEXT NOT NULL,
    origin_username        TEXT,
    label                  TEXT,
    metadata               TEXT,
    allowed_actions        TEXT,
    status                 TEXT NOT NULL,
    status_reasons         TEXT NOT NULL,
    provider_account_id    TEXT NOT NULL,
    provider_account_name  TEXT NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    UNIQUE (project_id, provider, origin_owner_id)
);
CREATE INDEX accounts_by_project ON accounts (project_id, created_at, id);
CREATE INDEX accounts_by_owner ON accounts (project_id, origin_owner_id);

-- One row per secret field of an account: AES-256-GCM output (nonce || ciphertext || tag).
CREATE TABLE credentials (
    account_id   TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    field        TEXT NOT NULL,
    project_id   TEXT NOT NULL,
    key_version  INTEGER NOT NULL,
    sealed       BLOB NOT NULL,
    PRIMARY KEY (account_id, field)
);
CREATE INDEX credentials_by_key_version ON credentials (key_version);

-- Hub-wide secrets (the API key pepper), sealed by the vault like credentials.
CREATE TABLE hub_secrets (
    name         TEXT PRIMARY KEY,
    key_version  INTEGER NOT NULL,
    sealed       BLOB NOT NULL
);

CREATE TABLE connect_sessions (
    id                 INTEGER PRIMARY KEY,
    project_id         TEXT NOT NULL REFERENCES projects (id),
    token_hash         BLOB NOT NULL UNIQUE,
    origin_owner_id    TEXT NOT NULL,
    origin_owner_name  TEXT NOT NULL,
    origin_username    TEXT,
    provider           TEXT,
    account_id         TEXT,
    label              TEXT,
    metadata           TEXT,
    actions            TEXT,
    redirect_url       TEXT,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    used_at            INTEGER,
    linked_account_id  TEXT
);
CREATE INDEX connect_sessions_by_project ON connect_sessions (project_id);
