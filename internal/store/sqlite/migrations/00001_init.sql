-- Initial schema. Every table has a seq column, assigned at insert and kept
-- by updates, that orders lists by creation and backs pagination positions.
-- doc holds the domain struct as JSON; the other columns exist for lookup,
-- uniqueness and order.

-- +goose Up
CREATE TABLE apis (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id  TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);

CREATE TABLE deployments (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    api_id TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    doc    TEXT NOT NULL,
    UNIQUE (api_id, id)
);

CREATE TABLE stages (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    api_id TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    doc    TEXT NOT NULL,
    UNIQUE (api_id, name)
);

CREATE TABLE api_keys (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    lookup_hash  BLOB UNIQUE,
    sealed_value BLOB,
    doc          TEXT NOT NULL
);
CREATE INDEX api_keys_customer_id ON api_keys (customer_id);

CREATE TABLE usage_plans (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id  TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);

CREATE TABLE usage_plan_keys (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES usage_plans (id) ON DELETE CASCADE,
    key_id  TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    UNIQUE (plan_id, key_id)
);
CREATE INDEX usage_plan_keys_key_id ON usage_plan_keys (key_id);

-- day is the UTC date as YYYY-MM-DD.
CREATE TABLE usage (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL,
    key_id  TEXT NOT NULL,
    day     TEXT NOT NULL,
    count   INTEGER NOT NULL,
    UNIQUE (plan_id, key_id, day)
);

-- period_start is in Unix nanoseconds.
CREATE TABLE quota_adjustments (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    delta        INTEGER NOT NULL,
    UNIQUE (plan_id, key_id, period_start)
);

-- meta has exactly one row.
CREATE TABLE meta (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO meta (id, revision) VALUES (1, 0);

-- changes is the durable change log (the last rows only); at is in Unix
-- milliseconds.
CREATE TABLE changes (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    revision INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    op       TEXT NOT NULL,
    api_id   TEXT NOT NULL,
    id       TEXT NOT NULL,
    key_id   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX changes_revision ON changes (revision);

-- +goose Down
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
