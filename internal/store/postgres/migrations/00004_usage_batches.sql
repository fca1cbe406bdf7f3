-- Claimed usage batch ids (Tx.ClaimUsageBatch), as SQLite's migration 7:
-- a usage fold that a cluster node offers again (it died before deleting
-- it from Redis, or two nodes recover it) is written once.

-- +goose Up
CREATE TABLE usage_batches (
    id         text COLLATE "C" PRIMARY KEY,
    applied_at timestamptz NOT NULL
);
CREATE INDEX usage_batches_applied_at ON usage_batches (applied_at);

-- +goose Down
DROP TABLE usage_batches;
