-- Policies (which actions run, wait for a person's approval, or are refused) and approvals
-- (calls held until someone decides). Keep in step with ../sqlite/0006_policies_approvals.sql
-- (only column types differ).

-- One policy per project (account_id NULL) and at most one per account, which overrides the
-- project's. NULLs are distinct in a UNIQUE constraint on both databases, so uniqueness is
-- kept by two partial indexes instead: one project row, one row per account. An account's
-- policy goes with the account.
CREATE TABLE policies (
    project_id  TEXT NOT NULL REFERENCES projects (id),
    account_id  TEXT REFERENCES accounts (id) ON DELETE CASCADE,
    -- JSON array of {"match": SELECTOR, "decision": "allow" | "approve" | "deny"}.
    rules       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX policies_of_projects ON policies (project_id) WHERE account_id IS NULL;
CREATE UNIQUE INDEX policies_of_accounts ON policies (project_id, account_id)
    WHERE account_id IS NOT NULL;

-- A held call. status: pending -> approved -> running -> succeeded | failed; or pending ->
-- rejected | expired. The input and the result's body are sealed by the vault (bound to the
-- project, the approval and the field). No foreign key to the account: an approval is a record
-- of what was asked and decided, kept when the account goes.
CREATE TABLE approvals (
    id                  TEXT PRIMARY KEY,
    project_id          TEXT NOT NULL REFERENCES projects (id),
    account_id          TEXT NOT NULL,
    action_id           TEXT NOT NULL,
    input_key_version   BIGINT NOT NULL,
    input_sealed        BYTEA NOT NULL,
    -- Hex SHA-256 of the canonical JSON of action, account and input: a repeat of a pending
    -- call finds its approval by it.
    input_hash          TEXT NOT NULL,
    requested_by        TEXT NOT NULL,
    status              TEXT NOT NULL,
    expires_at          BIGINT NOT NULL,
    decided_by          TEXT,
    decided_at          BIGINT,
    reason              TEXT,
    result_status       BIGINT,
    result_key_version  BIGINT,
    result_sealed       BYTEA,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
-- Listing a project's approvals, newest first, all or by status.
CREATE INDEX approvals_by_project ON approvals (project_id, created_at, id);
CREATE INDEX approvals_by_status ON approvals (project_id, status, created_at, id);
-- The expiry sweep.
CREATE INDEX approvals_pending_by_expiry ON approvals (expires_at) WHERE status = 'pending';
-- At most one pending approval per call: two hubs asked the same thing at once share one.
CREATE UNIQUE INDEX approvals_pending_per_call ON approvals (project_id, account_id, input_hash)
    WHERE status = 'pending';
