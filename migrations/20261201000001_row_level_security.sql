-- Row-level security: the second wall between tenants (#14; OWASP ASVS 5.0
-- V8.2.2, V8.4.1). Every statement runs inside a transaction whose scope the
-- server sets first with set_config(…, true), so nothing outlives the
-- transaction on a pooled or RDS Proxy connection (server/src/db/scope.rs):
--   rollcall.tenant_id   the one tenant this transaction may see and write;
--   rollcall.all_tenants 'on' for operator work that spans tenants;
--   rollcall.tenant_slug lets the sign-in find its tenant's row by name;
--   rollcall.credential  hex SHA-256 of a presented token, which lets that
--                        token's own session, link or API token row be found
--                        (and from it the tenant) before the tenant is known.
-- A transaction that sets nothing sees no tenant data at all.
-- Policies read the settings through a scalar subquery, so Postgres works
-- them out once per statement (an InitPlan), not once per row.

CREATE FUNCTION rollcall_tenant() RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('rollcall.tenant_id', true), '')::uuid $$;

CREATE FUNCTION rollcall_all_tenants() RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(current_setting('rollcall.all_tenants', true), '') = 'on' $$;

CREATE FUNCTION rollcall_tenant_slug() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT nullif(current_setting('rollcall.tenant_slug', true), '') $$;

CREATE FUNCTION rollcall_credential() RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT decode(nullif(current_setting('rollcall.credential', true), ''), 'hex') $$;

-- The three child tables that reached their tenant only through a parent
-- get the column, so their policy is as simple (and as fast) as the rest.
ALTER TABLE password_history ADD COLUMN tenant_id uuid;
UPDATE password_history h SET tenant_id = a.tenant_id FROM accounts a WHERE a.id = h.account_id;
ALTER TABLE password_history ALTER COLUMN tenant_id SET NOT NULL,
    ADD CONSTRAINT password_history_account FOREIGN KEY (tenant_id, account_id)
        REFERENCES accounts (tenant_id, id) ON DELETE CASCADE;

ALTER TABLE import_batches ADD CONSTRAINT import_batches_tenant_id UNIQUE (tenant_id, id);
ALTER TABLE import_rows ADD COLUMN tenant_id uuid;
UPDATE import_rows r SET tenant_id = b.tenant_id FROM import_batches b WHERE b.id = r.batch_id;
ALTER TABLE import_rows ALTER COLUMN tenant_id SET NOT NULL,
    ADD CONSTRAINT import_rows_batch FOREIGN KEY (tenant_id, batch_id)
        REFERENCES import_batches (tenant_id, id) ON DELETE CASCADE;

ALTER TABLE outbox ADD CONSTRAINT outbox_tenant_id UNIQUE (tenant_id, id);
ALTER TABLE outbox_attempts ADD COLUMN tenant_id uuid;
UPDATE outbox_attempts t SET tenant_id = o.tenant_id FROM outbox o WHERE o.id = t.message;
-- NULL, as in outbox, for the operator's test mail, which is no tenant's.
ALTER TABLE outbox_attempts ADD CONSTRAINT outbox_attempts_message FOREIGN KEY (tenant_id, message)
        REFERENCES outbox (tenant_id, id) ON DELETE CASCADE;

-- tenants: its own row, or found by slug for the sign-in (read only).
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY own_tenant ON tenants
    USING (id = (SELECT rollcall_tenant())) WITH CHECK (id = (SELECT rollcall_tenant()));
CREATE POLICY every_tenant ON tenants
    USING ((SELECT rollcall_all_tenants())) WITH CHECK ((SELECT rollcall_all_tenants()));
CREATE POLICY tenant_by_slug ON tenants FOR SELECT
    USING (slug = (SELECT rollcall_tenant_slug()));

-- What every table that holds tenant data gets (a later migration adding
-- such a table calls it too): the scope's tenant, or every tenant for
-- operator work, forced on the owner.
CREATE FUNCTION rollcall_protect_tenant_table(t regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
    EXECUTE format(
        'CREATE POLICY own_tenant ON %s USING (tenant_id = (SELECT rollcall_tenant())) WITH CHECK (tenant_id = (SELECT rollcall_tenant()))',
        t);
    EXECUTE format(
        'CREATE POLICY every_tenant ON %s USING ((SELECT rollcall_all_tenants())) WITH CHECK ((SELECT rollcall_all_tenants()))',
        t);
END;
$$;

SELECT rollcall_protect_tenant_table(t::regclass) FROM unnest(ARRAY[
    'accounts', 'sessions', 'audit_events', 'password_history', 'clients',
    'account_clients', 'import_batches', 'import_rows', 'outbox',
    'outbox_attempts', 'password_links', 'groups', 'account_groups', 'forms',
    'form_columns', 'group_permissions', 'account_permissions', 'api_tokens',
    'tenant_directories'
]) AS t;

-- A presented token finds its own row (and so its tenant), read only.
CREATE POLICY by_credential ON sessions FOR SELECT USING (token_hash = (SELECT rollcall_credential()));
CREATE POLICY by_credential ON password_links FOR SELECT USING (token_hash = (SELECT rollcall_credential()));
CREATE POLICY by_credential ON api_tokens FOR SELECT USING (token_hash = (SELECT rollcall_credential()));

-- Platform events (a sign-in naming no organisation we know, operator work)
-- belong to no tenant: anyone may append one, only operators read them.
CREATE POLICY platform_events ON audit_events FOR INSERT WITH CHECK (tenant_id IS NULL);
