-- Issue #14 (OWASP ASVS 5.0 V7.3.2): besides the idle lease, a session ends
-- a fixed time after sign-in, whatever its activity; and a person can end
-- all of their own sessions at once ("Sign out everywhere").
ALTER TABLE tenants
    ADD COLUMN session_lifetime_hours integer NOT NULL DEFAULT 12
        CHECK (session_lifetime_hours BETWEEN 1 AND 168);

ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_end_reason_check
    CHECK (end_reason IN ('logout', 'lease_expired', 'account_deactivated', 'account_expired',
                          'password_reset', 'password_changed', 'lifetime', 'signed_out_everywhere'));
