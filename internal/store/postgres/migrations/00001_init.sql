-- Initial PostgreSQL schema: the tables of the SQLite store's migrations
-- 1-4 in their final shape (store/sqlite/migrations), without the usage
-- journal, which is a SQLite write optimisation (PostgreSQL upserts the
-- day rows of a flush in one statement).
--
-- Every aggregate table has a seq column, assigned at insert and kept by
-- updates, that orders lists by creation and backs pagination positions.
-- doc holds the domain struct as the JSON bytes encoding/json wrote
-- (bytea: jsonb would refuse a \u0000 escape); the other columns exist for
-- lookup, uniqueness and order. Text columns use the "C" collation so that
-- ORDER BY compares bytes, as Go and SQLite do.

-- +goose Up
CREATE TABLE apis (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id  text COLLATE "C" NOT NULL UNIQUE,
    doc bytea NOT NULL
);

CREATE TABLE deployments (
    seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_id text COLLATE "C" NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    id     text COLLATE "C" NOT NULL,
    doc    bytea NOT NULL,
    UNIQUE (api_id, id)
);
CREATE INDEX deployments_api_id_seq ON deployments (api_id, seq);

CREATE TABLE stages (
    seq    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    api_id text COLLATE "C" NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    name   text COLLATE "C" NOT NULL,
    doc    bytea NOT NULL,
    UNIQUE (api_id, name)
);

CREATE TABLE api_keys (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text COLLATE "C" NOT NULL UNIQUE,
    name         text COLLATE "C" NOT NULL,
    customer_id  text COLLATE "C" NOT NULL,
    lookup_hash  bytea UNIQUE,
    sealed_value bytea,
    doc          bytea NOT NULL
);
CREATE INDEX api_keys_customer_id ON api_keys (customer_id);

CREATE TABLE usage_plans (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id  text COLLATE "C" NOT NULL UNIQUE,
    doc bytea NOT NULL
);

-- One unique index led by key_id serves the uniqueness check and lookups
-- by key; (plan_id, seq) serves a plan's keys in the order they were added.
CREATE TABLE usage_plan_keys (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id text COLLATE "C" NOT NULL REFERENCES usage_plans (id) ON DELETE CASCADE,
    key_id  text COLLATE "C" NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    UNIQUE (key_id, plan_id)
);
CREATE INDEX usage_plan_keys_plan_id_seq ON usage_plan_keys (plan_id, seq);

-- day is the UTC date.
CREATE TABLE usage (
    plan_id text COLLATE "C" NOT NULL,
    key_id  text COLLATE "C" NOT NULL,
    day     date NOT NULL,
    count   bigint NOT NULL,
    PRIMARY KEY (plan_id, key_id, day)
);

-- period_start is in Unix nanoseconds.
CREATE TABLE quota_adjustments (
    plan_id      text COLLATE "C" NOT NULL,
    key_id       text COLLATE "C" NOT NULL,
    period_start bigint NOT NULL,
    delta        bigint NOT NULL,
    PRIMARY KEY (plan_id, key_id, period_start)
);

-- meta has exactly one row. Every configuration write updates it, which
-- also orders configuration commits (see postgres.go).
CREATE TABLE meta (
    id       integer PRIMARY KEY CHECK (id = 1),
    revision bigint NOT NULL
);
INSERT INTO meta (id, revision) VALUES (1, 0);

-- changes is the durable change log (the last rows only), which a
-- cluster feed catches up from by revision.
CREATE TABLE changes (
    seq      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision bigint NOT NULL,
    kind     text NOT NULL,
    op       text NOT NULL,
    api_id   text COLLATE "C" NOT NULL,
    id       text COLLATE "C" NOT NULL,
    key_id   text COLLATE "C" NOT NULL,
    at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_revision ON changes (revision);

-- Node settings: small named values that are not configuration (no
-- revision, no change published, kept by Reset).
CREATE TABLE settings (
    name  text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE changes;
DROP TABLE meta;
DROP TABLE quota_adjustments;
DROP TABLE usage;
DROP TABLE usage_plan_keys;
DROP TABLE usage_plans;
DROP TABLE api_keys;
DROP TABLE stages;
DROP TABLE deployments;
DROP TABLE apis;
