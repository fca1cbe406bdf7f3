-- Claimed usage batch ids (Tx.ClaimUsageBatch): a usage fold that a
-- cluster node offers again (it died before deleting it from Redis, or
-- two nodes recover it) is written once. applied_at: unix seconds.

-- +goose Up
CREATE TABLE usage_batches (
    id         TEXT PRIMARY KEY,
    applied_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX usage_batches_applied_at ON usage_batches (applied_at);

-- +goose Down
DROP TABLE usage_batches;
