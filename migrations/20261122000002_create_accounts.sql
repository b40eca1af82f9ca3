-- Staff accounts. Any number per tenant; seats are taken only by sessions.
CREATE TABLE accounts (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    username      text NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    -- Lower-cased by the application (Unicode-aware, locale-independent):
    -- usernames are unique per tenant ignoring case.
    username_key  text NOT NULL,
    first_name    text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name     text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role          text NOT NULL CHECK (role IN ('administrator', 'user')),
    -- argon2id PHC string; NULL means no usable password.
    password_hash text,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT accounts_username_key UNIQUE (tenant_id, username_key)
);
