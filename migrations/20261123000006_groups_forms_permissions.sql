-- Issue #5: groups, the tenant's catalogue of forms and their columns, and
-- permissions at three levels: tenant default -> group -> person. At group
-- and person level a missing row means Inherit.

CREATE TABLE groups (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    name_key    text NOT NULL,
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
    created_at  timestamptz NOT NULL,
    CONSTRAINT groups_name_key UNIQUE (tenant_id, name_key),
    CONSTRAINT groups_tenant_id UNIQUE (tenant_id, id)
);

CREATE TABLE account_groups (
    tenant_id  uuid NOT NULL,
    account_id uuid NOT NULL,
    group_id   uuid NOT NULL,
    PRIMARY KEY (account_id, group_id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX account_groups_by_group ON account_groups (group_id);

CREATE TABLE forms (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    name_key   text NOT NULL,
    position   integer NOT NULL,
    retired_at timestamptz,
    created_at timestamptz NOT NULL,
    CONSTRAINT forms_name_key UNIQUE (tenant_id, name_key),
    CONSTRAINT forms_tenant_id UNIQUE (tenant_id, id)
);

CREATE TABLE form_columns (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL,
    form_id    uuid NOT NULL,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    name_key   text NOT NULL,
    position   integer NOT NULL,
    -- The tenant default: the first of the three levels (Allow or Deny).
    default_allowed boolean NOT NULL DEFAULT false,
    retired_at timestamptz,
    created_at timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, form_id) REFERENCES forms (tenant_id, id) ON DELETE CASCADE,
    CONSTRAINT form_columns_name_key UNIQUE (form_id, name_key),
    CONSTRAINT form_columns_tenant_id UNIQUE (tenant_id, id)
);
CREATE INDEX form_columns_by_tenant ON form_columns (tenant_id, form_id, position);

-- Group level: Allow (true) or Deny (false); no row is Inherit.
CREATE TABLE group_permissions (
    tenant_id uuid NOT NULL,
    group_id  uuid NOT NULL,
    column_id uuid NOT NULL,
    allowed   boolean NOT NULL,
    PRIMARY KEY (group_id, column_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, column_id) REFERENCES form_columns (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_permissions_by_column ON group_permissions (column_id);

-- Person level: Allow (true) or Deny (false); no row is Inherit.
CREATE TABLE account_permissions (
    tenant_id  uuid NOT NULL,
    account_id uuid NOT NULL,
    column_id  uuid NOT NULL,
    allowed    boolean NOT NULL,
    PRIMARY KEY (account_id, column_id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, column_id) REFERENCES form_columns (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX account_permissions_by_column ON account_permissions (column_id);

-- Tenant API tokens for other systems (the access API). Stored hashed.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_by   uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id, created_at);
