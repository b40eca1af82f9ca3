-- The audit trail. Labels are copied in so that an event still reads right
-- after its actor or target is deleted.
CREATE TABLE audit_events (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        uuid REFERENCES tenants (id),
    occurred_at      timestamptz NOT NULL,
    actor_kind       text NOT NULL CHECK (actor_kind IN ('account', 'operator', 'anonymous')),
    actor_account_id uuid,
    actor_label      text NOT NULL,
    action           text NOT NULL,
    target_kind      text,
    target_id        text,
    target_label     text,
    details          jsonb NOT NULL DEFAULT '{}'::jsonb,
    ip               text,
    user_agent       text
);

CREATE INDEX audit_events_by_tenant_time ON audit_events (tenant_id, occurred_at DESC, id DESC);
