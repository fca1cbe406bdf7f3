-- Custom domain names with their base path mappings (in doc). The
-- certificate's private key is in doc only sealed under the server secret.

-- +goose Up
CREATE TABLE domain_names (
    seq  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text COLLATE "C" NOT NULL UNIQUE,
    doc  bytea NOT NULL
);

-- +goose Down
DROP TABLE domain_names;
