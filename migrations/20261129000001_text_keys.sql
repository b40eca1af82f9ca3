-- Issue #12: "ignoring case" is decided by keys computed in Rust
-- (app::model::text), never by Postgres' lower()/ILIKE, whose folding follows
-- the server's locale and differs from Unicode case folding (İ, ß, and
-- accents for search). The accounts list searches one stored key.
--
-- SQL can only approximate the key here; `server migrate` recomputes every
-- key in Rust right after applying this (server/src/domain/text_keys.rs).
-- The default keeps inserts of a release still running during a deploy
-- working; `server migrate` fills in what they leave empty.
ALTER TABLE accounts ADD COLUMN search_key text NOT NULL DEFAULT '';
UPDATE accounts
   SET search_key = username_key || ' ' || lower(first_name) || ' ' || lower(last_name) || ' ' || lower(email);

DROP INDEX accounts_search_trgm;
CREATE INDEX accounts_search_trgm ON accounts USING gin (search_key gin_trgm_ops);

-- The audit trail's actor and target, as search keys. Events are never
-- changed, so events older than these columns keep NULL and are matched by
-- ILIKE on their label, as before.
ALTER TABLE audit_events ADD COLUMN actor_key text, ADD COLUMN target_key text;
