-- usage_plan_keys had two indexes ordered by the random key id (UNIQUE
-- (plan_id, key_id) and usage_plan_keys_key_id), and none for listing a
-- plan's keys in seq order, so each page of a plan's keys sorted all of
-- them. It is rebuilt with one unique index led by key_id, which serves
-- both the uniqueness check and lookups by key, and an index on
-- (plan_id, seq) for ordered lists. A bulk key import dirties every page
-- of each random-key index it inserts into, at every commit, so one index
-- fewer is a quarter less to write per imported key.
--
-- seq values and the AUTOINCREMENT high-water mark are kept, so pagination
-- positions stay valid and seq values are never reused.

-- +goose Up
CREATE TABLE usage_plan_keys_new (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES usage_plans (id) ON DELETE CASCADE,
    key_id  TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    UNIQUE (key_id, plan_id)
);
INSERT INTO usage_plan_keys_new (seq, plan_id, key_id)
    SELECT seq, plan_id, key_id FROM usage_plan_keys ORDER BY seq;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'usage_plan_keys_new', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'usage_plan_keys_new');
UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'usage_plan_keys'), 0))
    WHERE name = 'usage_plan_keys_new';
DROP TABLE usage_plan_keys;
ALTER TABLE usage_plan_keys_new RENAME TO usage_plan_keys;
CREATE INDEX usage_plan_keys_plan_id_seq ON usage_plan_keys (plan_id, seq);

-- +goose Down
CREATE TABLE usage_plan_keys_old (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id TEXT NOT NULL REFERENCES usage_plans (id) ON DELETE CASCADE,
    key_id  TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    UNIQUE (plan_id, key_id)
);
INSERT INTO usage_plan_keys_old (seq, plan_id, key_id)
    SELECT seq, plan_id, key_id FROM usage_plan_keys ORDER BY seq;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'usage_plan_keys_old', 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'usage_plan_keys_old');
UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'usage_plan_keys'), 0))
    WHERE name = 'usage_plan_keys_old';
DROP TABLE usage_plan_keys;
ALTER TABLE usage_plan_keys_old RENAME TO usage_plan_keys;
CREATE INDEX usage_plan_keys_key_id ON usage_plan_keys (key_id);
