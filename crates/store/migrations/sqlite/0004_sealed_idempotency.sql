-- Idempotency records keep Front's answers sealed by the vault (bound to the project, the key
-- and the field), never in plaintext. Keep in step with ../postgres/0004_sealed_idempotency.sql.
-- Answers stored in plaintext before this migration are dropped with their column: a repeat of
-- such a request is answered "outcome unknown" rather than sent to Front again.
ALTER TABLE idempotency_keys DROP COLUMN response;
ALTER TABLE idempotency_keys ADD COLUMN response_key_version INTEGER;
ALTER TABLE idempotency_keys ADD COLUMN response_sealed BLOB;
