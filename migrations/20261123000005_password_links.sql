-- Issue #4: invitations and password-reset links. The link's token is sent
-- by mail and stored here only as its SHA-256 hash.

ALTER TABLE tenants
    -- How long an invitation link works.
    ADD COLUMN invitation_hours integer NOT NULL DEFAULT 72
        CHECK (invitation_hours BETWEEN 1 AND 720);

CREATE TABLE password_links (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid NOT NULL,
    account_id    uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('invitation', 'reset')),
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL CHECK (expires_at > created_at),
    -- Who sent it (NULL: the person asked for it themselves); the name is
    -- kept for the invitation history when that account is deleted.
    created_by    uuid REFERENCES accounts (id) ON DELETE SET NULL,
    created_by_name text,
    used_at       timestamptz,
    closed_at     timestamptz,
    -- revoked: by an administrator; replaced: a newer link was sent;
    -- superseded: the password was set another way.
    closed_reason text CHECK (closed_reason IN ('revoked', 'replaced', 'superseded')),
    FOREIGN KEY (tenant_id, account_id) REFERENCES accounts (tenant_id, id) ON DELETE CASCADE,
    CHECK ((closed_at IS NULL) = (closed_reason IS NULL)),
    CHECK (used_at IS NULL OR closed_at IS NULL)
);
CREATE INDEX password_links_by_account ON password_links (account_id, kind, created_at DESC, id DESC);
-- At most one open link of each kind per account.
CREATE UNIQUE INDEX password_links_one_open ON password_links (account_id, kind)
    WHERE used_at IS NULL AND closed_at IS NULL;

-- A message that carries a link's token keeps it only until it is sent:
-- the token is then cut out of the stored bodies.
ALTER TABLE outbox ADD COLUMN secret text;
