-- The organisation's own time zone (#27): an IANA identifier. Every date an
-- administrator sets (an account's expiry) is a calendar date there, and
-- queries that ask "has that date come?" read the tenant's local date with
-- AT TIME ZONE. The server accepts only IANA identifiers its bundled
-- database knows; the check below makes Postgres refuse any name its own
-- copy of the database does not know, so no stored zone can break a query.

ALTER TABLE tenants ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC'
    CONSTRAINT tenants_time_zone_known
    CHECK (length(time_zone) BETWEEN 1 AND 64
           AND (TIMESTAMPTZ '2000-01-01 00:00:00+00' AT TIME ZONE time_zone) IS NOT NULL);

-- A change of zone is a change of the Settings screen: its version goes up.
DROP TRIGGER tenants_settings_version ON tenants;
CREATE TRIGGER tenants_settings_version BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version(
        'settings_version', 'password_policy', 'invitation_hours', 'session_lifetime_hours',
        'sessions_per_person', 'when_full', 'evict_idle_minutes', 'seat_alerts', 'time_zone');
