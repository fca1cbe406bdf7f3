-- Usage batches as flushed, not yet folded into usage (see journal.go):
-- one row per flush and partition (part: the first byte of the key ids),
-- data an encoded batch of records.

-- +goose Up
CREATE TABLE usage_journal (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    part    INTEGER NOT NULL,
    created INTEGER NOT NULL, -- Unix seconds
    records INTEGER NOT NULL,
    data    BLOB NOT NULL
);
CREATE INDEX usage_journal_part ON usage_journal (part, seq);

-- +goose Down
DROP TABLE usage_journal;
