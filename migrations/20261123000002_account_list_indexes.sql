-- The accounts list sorts by each of its columns within a tenant; an index
-- per sort keeps the first pages fast at 100,000 accounts.
CREATE INDEX accounts_by_tenant_email ON accounts (tenant_id, lower(email), username_key);
CREATE INDEX accounts_by_tenant_role ON accounts (tenant_id, role, username_key);
CREATE INDEX accounts_by_tenant_status ON accounts (tenant_id, status, username_key);
DROP INDEX accounts_by_tenant_last_name;
CREATE INDEX accounts_by_tenant_name ON accounts (tenant_id, lower(last_name), lower(first_name), username_key);
