-- Client certificates (GenerateClientCertificate), as SQLite's migration 6.
-- doc holds the domain struct, its private key sealed under the server
-- secret.

-- +goose Up
CREATE TABLE client_certificates (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id  text COLLATE "C" NOT NULL UNIQUE,
    doc bytea NOT NULL
);

-- +goose Down
DROP TABLE client_certificates;
