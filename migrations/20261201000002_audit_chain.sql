-- A tamper-evident audit trail (#14; OWASP ASVS 5.0 V16.4.2, V16.4.3): each
-- event gets a link in its tenant's SHA-256 chain (platform events, with no
-- tenant, form one chain of their own):
--   link n = sha256(link n-1 || digest(event)), link 0 = 32 zero bytes,
--   digest(event) = sha256 of the canonical JSON array of its columns below.
-- The link is written when the event's transaction commits (a deferred
-- constraint trigger), so writers of one tenant queue for the chain head only
-- at the very end of their transaction, after every other lock they take.
-- `server audit verify --tenant SLUG` recomputes every link with its own
-- copy of the digest, not with the function below.

CREATE FUNCTION audit_event_digest(e audit_events) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT sha256(convert_to(jsonb_build_array(
        e.id, e.tenant_id,
        to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor_kind, e.actor_account_id, e.actor_label, e.action,
        e.target_kind, e.target_id, e.target_label, e.details, e.ip, e.user_agent
    )::text, 'UTF8'))
$$;

-- One link per event, insert-only like the events themselves.
CREATE TABLE audit_chain (
    event_id  bigint PRIMARY KEY REFERENCES audit_events (id),
    tenant_id uuid REFERENCES tenants (id),
    seq       bigint NOT NULL CHECK (seq > 0),
    hash      bytea NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT audit_chain_seq UNIQUE NULLS NOT DISTINCT (tenant_id, seq)
);

-- The last link of each chain; its row lock orders a tenant's writers.
CREATE TABLE audit_chain_heads (
    tenant_id uuid REFERENCES tenants (id),
    seq       bigint NOT NULL,
    hash      bytea NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT audit_chain_heads_tenant UNIQUE NULLS NOT DISTINCT (tenant_id)
);

CREATE TRIGGER audit_chain_no_update_delete
    BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();
CREATE TRIGGER audit_chain_no_truncate
    BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();

CREATE FUNCTION audit_events_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d bytea := audit_event_digest(NEW);
    s bigint;
    h bytea;
BEGIN
    INSERT INTO audit_chain_heads AS c (tenant_id, seq, hash)
    VALUES (NEW.tenant_id, 1, sha256(decode(repeat('00', 32), 'hex') || d))
    ON CONFLICT ON CONSTRAINT audit_chain_heads_tenant
        DO UPDATE SET seq = c.seq + 1, hash = sha256(c.hash || d)
    RETURNING seq, hash INTO s, h;
    INSERT INTO audit_chain (event_id, tenant_id, seq, hash) VALUES (NEW.id, NEW.tenant_id, s, h);
    RETURN NULL;
END;
$$;

-- The events written before this migration, in the order they were written
-- (row-level security binds the migrating owner too: every tenant, here).
SELECT set_config('rollcall.all_tenants', 'on', true);
DO $$
DECLARE
    e audit_events;
BEGIN
    FOR e IN SELECT * FROM audit_events ORDER BY id LOOP
        INSERT INTO audit_chain_heads AS c (tenant_id, seq, hash)
        VALUES (e.tenant_id, 1, sha256(decode(repeat('00', 32), 'hex') || audit_event_digest(e)))
        ON CONFLICT ON CONSTRAINT audit_chain_heads_tenant
            DO UPDATE SET seq = c.seq + 1, hash = sha256(c.hash || audit_event_digest(e));
        INSERT INTO audit_chain (event_id, tenant_id, seq, hash)
        SELECT e.id, e.tenant_id, seq, hash FROM audit_chain_heads
        WHERE tenant_id IS NOT DISTINCT FROM e.tenant_id;
    END LOOP;
END $$;

CREATE CONSTRAINT TRIGGER audit_events_link
    AFTER INSERT ON audit_events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_events_link();

-- Row-level security as for every tenant table; platform links (no tenant)
-- may be written in any scope and read only by operators.
SELECT rollcall_protect_tenant_table('audit_chain'),
       rollcall_protect_tenant_table('audit_chain_heads');
CREATE POLICY platform_links ON audit_chain FOR INSERT WITH CHECK (tenant_id IS NULL);
CREATE POLICY platform_head_read ON audit_chain_heads FOR SELECT USING (tenant_id IS NULL);
CREATE POLICY platform_head_start ON audit_chain_heads FOR INSERT WITH CHECK (tenant_id IS NULL);
CREATE POLICY platform_head_move ON audit_chain_heads FOR UPDATE
    USING (tenant_id IS NULL) WITH CHECK (tenant_id IS NULL);
