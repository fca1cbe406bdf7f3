-- Node settings: small named values that are not configuration (no
-- revision, no change published, kept by Reset), such as the check value
-- that ties the database to its server secret.

-- +goose Up
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE settings;
