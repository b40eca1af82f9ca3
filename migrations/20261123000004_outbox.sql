-- Mail is written here in the same transaction as the change that causes
-- it, then delivered by a worker with retries: a crash delays a message,
-- never drops it.
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       uuid REFERENCES tenants (id) ON DELETE CASCADE,
    kind            text NOT NULL,
    -- Fixed when queued, so a message re-sent after a crash keeps its id.
    message_id      text NOT NULL UNIQUE,
    to_address      text NOT NULL,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    created_at      timestamptz NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    sent_at         timestamptz,
    last_error      text
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Every delivery attempt, successful or not.
CREATE TABLE outbox_attempts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message      bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempted_at timestamptz NOT NULL,
    ok           boolean NOT NULL,
    error        text
);
CREATE INDEX outbox_attempts_by_message ON outbox_attempts (message, attempted_at);
