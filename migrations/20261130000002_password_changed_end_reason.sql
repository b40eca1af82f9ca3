-- Issue #14: changing your own password ends your other sessions.
ALTER TABLE sessions DROP CONSTRAINT sessions_end_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_end_reason_check
    CHECK (end_reason IN ('logout', 'lease_expired', 'account_deactivated', 'account_expired',
                          'password_reset', 'password_changed'));
