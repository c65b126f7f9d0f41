-- Dashboard sessions ended by signing out. Keep in step with
-- ../sqlite/0003_dashboard_sign_outs.sql (only column types differ).

-- One row per signed-out session cookie, by the cookie's random nonce (not a secret: the
-- cookie's MAC is). A cookie whose nonce is here is refused, with the CSRF tokens bound to it.
-- Rows are kept until the cookie would have expired anyway (expires_at, Unix milliseconds).
CREATE TABLE dashboard_sign_outs (
    nonce       TEXT PRIMARY KEY,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX dashboard_sign_outs_by_expiry ON dashboard_sign_outs (expires_at);
