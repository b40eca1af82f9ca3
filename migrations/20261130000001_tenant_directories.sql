-- Issue #13: each tenant's Active Directory connection. Switched on and off
-- by tenants.directory_signin_enabled; a tenant without a row has none.
CREATE TABLE tenant_directories (
    tenant_id       uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- ldaps://host[:port] or ldap://host[:port] (StartTLS unless allow_plain).
    url             text NOT NULL CHECK (url ~ '^ldaps?://'),
    allow_plain     boolean NOT NULL DEFAULT false
        CHECK (NOT allow_plain OR url LIKE 'ldap://%'),
    -- PEM certificates to trust; NULL trusts the system's roots.
    ca_pem          text,
    -- NetBIOS domain (RC\name) and UPN suffix (name@rc.test); at least one.
    netbios_domain  text,
    upn_suffix      text,
    CHECK (netbios_domain IS NOT NULL OR upn_suffix IS NOT NULL),
    base_dn         text NOT NULL,
    bind_name       text,
    -- The look-up password sealed with ROLLCALL_SECRET_KEY (XChaCha20-Poly1305,
    -- the tenant id authenticated with it); never stored in clear.
    bind_password_sealed bytea,
    CHECK (bind_password_sealed IS NULL OR bind_name IS NOT NULL),
    updated_at      timestamptz NOT NULL
);

-- Before this change the switch could be set with no connection behind it:
-- such tenants now have directory sign-in off until they connect one.
UPDATE tenants SET directory_signin_enabled = false
WHERE directory_signin_enabled
  AND id NOT IN (SELECT tenant_id FROM tenant_directories);
