-- Issue #15: a seat is a person, not a session. All open sessions of one
-- account share its seat; a tenant caps how many devices one person keeps
-- signed in, chooses what happens when every seat is held, and the operator
-- may reserve some seats for administrators.
ALTER TABLE tenants
    -- A sign-in beyond this ends the person's longest-idle session.
    ADD COLUMN sessions_per_person integer NOT NULL DEFAULT 3
        CHECK (sessions_per_person BETWEEN 1 AND 10),
    -- 'refuse': the newest sign-in is refused (the vendor's rule);
    -- 'evict_idle': the person idle longest is signed out, if idle at least
    -- evict_idle_minutes, else the sign-in is refused.
    ADD COLUMN when_full text NOT NULL DEFAULT 'refuse'
        CHECK (when_full IN ('refuse', 'evict_idle')),
    ADD COLUMN evict_idle_minutes integer NOT NULL DEFAULT 30
        CHECK (evict_idle_minutes BETWEEN 1 AND 1440),
    -- Seats only administrators may take; fewer than the seats owned.
    ADD COLUMN admin_reserve integer NOT NULL DEFAULT 0
        CHECK (admin_reserve >= 0 AND (admin_reserve = 0 OR admin_reserve < seat_limit));

ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_end_reason_check
    CHECK (end_reason IN ('logout', 'lease_expired', 'account_deactivated', 'account_expired',
                          'password_reset', 'password_changed', 'lifetime', 'signed_out_everywhere',
                          -- ended to free a seat: by an administrator, by the
                          -- eviction policy, or by the person's device limit
                          'signed_out_by_admin', 'evicted', 'device_limit'));

-- The seat check groups a tenant's open sessions by person.
CREATE INDEX sessions_open_by_tenant_account ON sessions (tenant_id, account_id)
    WHERE ended_at IS NULL;
