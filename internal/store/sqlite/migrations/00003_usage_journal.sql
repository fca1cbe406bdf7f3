-- Usage batches as flushed, not yet folded into usage (see journal.go):
-- one row per flush, data an encoded batch of records.

-- +goose Up
CREATE TABLE usage_journal (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    created INTEGER NOT NULL, -- Unix seconds
    records INTEGER NOT NULL,
    data    BLOB NOT NULL
);

-- +goose Down
DROP TABLE usage_journal;
