-- Custom domain names with their base path mappings (in doc). The
-- certificate's private key is in doc only sealed under the server secret.

-- +goose Up
CREATE TABLE domain_names (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    doc  TEXT NOT NULL
);

-- +goose Down
DROP TABLE domain_names;
