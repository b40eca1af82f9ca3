-- Signed-in sessions. A session holds one of its tenant's seats while
-- ended_at IS NULL and last_seen_at is within the tenant's idle lease.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- SHA-256 of the cookie's token; the token itself is never stored.
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    ended_at     timestamptz,
    end_reason   text CHECK (end_reason IN ('logout', 'lease_expired', 'account_deactivated')),
    ip           text,
    user_agent   text,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);

-- The seat check counts these under the tenant's row lock.
CREATE INDEX sessions_open_by_tenant ON sessions (tenant_id, last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX sessions_by_account ON sessions (account_id) WHERE ended_at IS NULL;
