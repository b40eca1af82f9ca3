-- Issue #3: the full account form, the tenant's password policy, clients,
-- expiry and forced password changes.

ALTER TABLE tenants
    -- Offers "Active Directory domain account" on the account form.
    ADD COLUMN directory_signin_enabled boolean NOT NULL DEFAULT false,
    -- The tenant's password policy (app::model::PasswordPolicy as JSON);
    -- keys that are missing take the seed default.
    ADD COLUMN password_policy jsonb NOT NULL DEFAULT '{}'::jsonb
        CHECK (jsonb_typeof(password_policy) = 'object');

ALTER TABLE accounts
    ADD COLUMN account_type text NOT NULL DEFAULT 'local'
        CHECK (account_type IN ('local', 'directory')),
    ADD COLUMN case_access text NOT NULL DEFAULT 'standard'
        CHECK (case_access IN ('standard', 'read_only')),
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    -- "Require password change at N-day intervals" (N from the tenant policy).
    ADD COLUMN rotate_password boolean NOT NULL DEFAULT false,
    ADD COLUMN password_changed_at timestamptz,
    -- The account deactivates at 00:00 UTC on this date.
    ADD COLUMN expires_on date;

UPDATE accounts SET password_changed_at = created_at WHERE password_hash IS NOT NULL;

-- Directory accounts never hold a Rollcall password.
ALTER TABLE accounts ADD CONSTRAINT accounts_directory_has_no_password
    CHECK (account_type = 'local' OR password_hash IS NULL);

-- Previous password hashes, for "may not reuse the last N".
CREATE TABLE password_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX password_history_by_account ON password_history (account_id, created_at DESC, id DESC);

-- The organisation's clients (matters, customers) an account may work on.
CREATE TABLE clients (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    name_key    text NOT NULL,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL,
    CONSTRAINT clients_name_key UNIQUE (tenant_id, name_key),
    -- Lets account_clients prove a client belongs to the account's tenant.
    CONSTRAINT clients_tenant_id UNIQUE (tenant_id, id)
);

ALTER TABLE accounts ADD CONSTRAINT accounts_tenant_id UNIQUE (tenant_id, id);

CREATE TABLE account_clients (
    tenant_id  uuid NOT NULL,
    account_id uuid NOT NULL,
    client_id  uuid NOT NULL,
    PRIMARY KEY (account_id, client_id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX account_clients_by_client ON account_clients (client_id);

-- Sessions also end when their account expires or its password is reset.
ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_end_reason_check
    CHECK (end_reason IN ('logout', 'lease_expired', 'account_deactivated', 'account_expired', 'password_reset'));

-- The accounts list: search, filters and sort stay fast at 100,000 accounts.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX accounts_search_trgm ON accounts
    USING gin ((username_key || ' ' || lower(first_name) || ' ' || lower(last_name) || ' ' || lower(email)) gin_trgm_ops);
CREATE INDEX accounts_by_tenant_last_name ON accounts (tenant_id, lower(last_name), username_key);
CREATE INDEX accounts_by_tenant_created ON accounts (tenant_id, created_at, username_key);
