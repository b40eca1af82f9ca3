-- Issue #15: usage history (peak people signed in per hour, refused
-- sign-ins, seats owned), exact and fast for a year.

-- A deleted account's sessions would leave the history with them: they are
-- ended first (reason account_deleted) and their spans kept here.
ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_end_reason_check
    CHECK (end_reason IN ('logout', 'lease_expired', 'account_deactivated', 'account_expired',
                          'password_reset', 'password_changed', 'lifetime', 'signed_out_everywhere',
                          'signed_out_by_admin', 'evicted', 'device_limit', 'account_deleted'));

CREATE TABLE retired_session_spans (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The account no longer exists: no foreign key.
    account_id uuid NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz NOT NULL,
    CHECK (ended_at >= started_at)
);
CREATE INDEX retired_session_spans_by_tenant ON retired_session_spans (tenant_id, started_at);
SELECT rollcall_protect_tenant_table('retired_session_spans');

CREATE FUNCTION rollcall_keep_session_span() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO retired_session_spans (tenant_id, account_id, started_at, ended_at)
    VALUES (OLD.tenant_id, OLD.account_id, OLD.created_at,
            GREATEST(OLD.created_at, COALESCE(OLD.ended_at, OLD.last_seen_at)));
    RETURN OLD;
END;
$$;
CREATE TRIGGER sessions_keep_span BEFORE DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION rollcall_keep_session_span();

-- One row per tenant and UTC hour that can no longer change: every session
-- that overlapped it has ended, or has been seen since, or lapsed (an hour
-- is final a day, the longest idle lease, after it ends). Written once.
CREATE TABLE seat_usage_hours (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hour        timestamptz NOT NULL CHECK (extract(epoch FROM hour)::numeric % 3600 = 0),
    -- Most people signed in at once during the hour.
    peak_people integer NOT NULL CHECK (peak_people >= 0),
    -- Sign-ins refused for lack of a seat.
    refused     integer NOT NULL CHECK (refused >= 0),
    -- Seats owned at the end of the hour.
    seats       integer NOT NULL CHECK (seats >= 0),
    PRIMARY KEY (tenant_id, hour)
);
SELECT rollcall_protect_tenant_table('seat_usage_hours');

-- Refusals by time, for the usage history.
CREATE INDEX audit_events_refusals ON audit_events (tenant_id, occurred_at)
    WHERE action = 'login.refused_seats';

-- Sessions by start, for the usage history's spans.
CREATE INDEX sessions_by_tenant_start ON sessions (tenant_id, created_at);

-- Mail the administrators, at most once a UTC day, about sign-ins refused
-- for lack of a seat the day before (a setting turns it off).
ALTER TABLE tenants ADD COLUMN seat_alerts boolean NOT NULL DEFAULT true;

CREATE TABLE seat_alerts (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- The UTC day whose refusals the mail reports.
    day       date NOT NULL,
    refused   integer NOT NULL CHECK (refused > 0),
    -- Administrators the mail was queued for (0: nobody to tell).
    recipients integer NOT NULL CHECK (recipients >= 0),
    queued_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, day)
);
SELECT rollcall_protect_tenant_table('seat_alerts');
