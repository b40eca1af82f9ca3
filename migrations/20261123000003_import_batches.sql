-- A bulk import is staged a chunk at a time (rows validated, passwords
-- hashed), then committed into accounts in one transaction. Staged rows hold
-- password hashes, never passwords; batches left behind are removed after
-- an hour.
CREATE TABLE import_batches (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_by uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL
);

CREATE TABLE import_rows (
    batch_id      uuid NOT NULL REFERENCES import_batches (id) ON DELETE CASCADE,
    line          integer NOT NULL,
    -- The account request as read from the file, password removed.
    request       jsonb NOT NULL,
    password_hash text,
    PRIMARY KEY (batch_id, line)
);
