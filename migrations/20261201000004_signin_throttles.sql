-- Sign-in throttling without lockout (#14; OWASP ASVS 5.0 V6.3.1): counts
-- of recent consecutive failures, kept in Postgres so every instance sees
-- them. One row per scope:
--   account_address  one username (as typed, folded) from one client address
--   account          one username from anywhere
--   address          one client address, any username of the tenant
-- Usernames that name no account are counted alike, so a 429 does not tell
-- which accounts exist. Rules and delays: server/src/domain/throttle.rs.
CREATE TABLE signin_throttles (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope           text NOT NULL CHECK (scope IN ('account_address', 'account', 'address')),
    username_key    text NOT NULL,
    address         text NOT NULL,
    failures        integer NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, scope, username_key, address)
);

SELECT rollcall_protect_tenant_table('signin_throttles');
