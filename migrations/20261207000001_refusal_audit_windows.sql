-- Refused attempts (403 not allowed, 404 not in this organisation, 429
-- sign-in throttled, cross-site requests) are audited (#25; ASVS 5.0 V16.3.2,
-- V16.3.3), at most a few a minute per actor and address, so that a flood
-- cannot fill the audit trail. One row per actor and address: the current
-- minute's window, how many events it recorded and how many it left out;
-- the first event of the next window carries that count. Rules:
-- server/src/domain/refusals.rs.
CREATE TABLE refusal_audit_windows (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    actor_key    text NOT NULL,
    window_start timestamptz NOT NULL,
    recorded     integer NOT NULL CHECK (recorded >= 0),
    suppressed   integer NOT NULL CHECK (suppressed >= 0),
    PRIMARY KEY (tenant_id, actor_key)
);

SELECT rollcall_protect_tenant_table('refusal_audit_windows');
