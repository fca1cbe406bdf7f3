-- Client certificates (GenerateClientCertificate). doc holds the domain
-- struct, its private key sealed under the server secret.

-- +goose Up
CREATE TABLE client_certificates (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id  TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);

-- +goose Down
DROP TABLE client_certificates;
