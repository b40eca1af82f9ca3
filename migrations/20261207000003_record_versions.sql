-- Lost updates (#25): every record an administrator edits as a whole
-- carries a version, and an edit based on an older one is refused as stale
-- (409) instead of silently putting back what someone else changed.
-- A version goes up whenever what its edit screen shows changes, however
-- it changed (an edit, a retirement, a membership, a directory refresh):
-- triggers, so no statement can forget. Columns that no screen edits (keys,
-- hashes, timestamps, the tenant default of a column) do not count.

ALTER TABLE accounts ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE groups ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE forms ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE form_columns ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN version bigint NOT NULL DEFAULT 1;
ALTER TABLE tenant_directories ADD COLUMN version bigint NOT NULL DEFAULT 1;
-- The Settings screen's fields of the tenant (policy, lifetimes, seat rules).
ALTER TABLE tenants ADD COLUMN settings_version bigint NOT NULL DEFAULT 1;

CREATE FUNCTION rollcall_account_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version
       AND (NEW.first_name, NEW.last_name, NEW.email, NEW.role, NEW.status, NEW.account_type,
            NEW.case_access, NEW.must_change_password, NEW.rotate_password, NEW.expires_on)
           IS DISTINCT FROM
           (OLD.first_name, OLD.last_name, OLD.email, OLD.role, OLD.status, OLD.account_type,
            OLD.case_access, OLD.must_change_password, OLD.rotate_password, OLD.expires_on)
    THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER accounts_version BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION rollcall_account_version();

-- Clients and groups are part of the account's form.
CREATE FUNCTION rollcall_membership_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.account_id ELSE NEW.account_id END;
BEGIN
    UPDATE accounts SET version = version + 1 WHERE id = changed;
    RETURN NULL;
END $$;
CREATE TRIGGER account_clients_version AFTER INSERT OR DELETE ON account_clients
    FOR EACH ROW EXECUTE FUNCTION rollcall_membership_version();
CREATE TRIGGER account_groups_version AFTER INSERT OR DELETE ON account_groups
    FOR EACH ROW EXECUTE FUNCTION rollcall_membership_version();

CREATE FUNCTION rollcall_named_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version
       AND (to_jsonb(NEW) -> TG_ARGV[0], to_jsonb(NEW) -> TG_ARGV[1])
           IS DISTINCT FROM (to_jsonb(OLD) -> TG_ARGV[0], to_jsonb(OLD) -> TG_ARGV[1])
    THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER groups_version BEFORE UPDATE ON groups
    FOR EACH ROW EXECUTE FUNCTION rollcall_named_version('name', 'description');
CREATE TRIGGER forms_version BEFORE UPDATE ON forms
    FOR EACH ROW EXECUTE FUNCTION rollcall_named_version('name', 'retired_at');
CREATE TRIGGER form_columns_version BEFORE UPDATE ON form_columns
    FOR EACH ROW EXECUTE FUNCTION rollcall_named_version('name', 'retired_at');
CREATE TRIGGER clients_version BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION rollcall_named_version('name', 'archived_at');

CREATE FUNCTION rollcall_directory_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version = OLD.version AND NEW IS DISTINCT FROM OLD THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tenant_directories_version BEFORE UPDATE ON tenant_directories
    FOR EACH ROW EXECUTE FUNCTION rollcall_directory_version();

CREATE FUNCTION rollcall_settings_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.settings_version = OLD.settings_version
       AND (NEW.password_policy, NEW.invitation_hours, NEW.session_lifetime_hours,
            NEW.sessions_per_person, NEW.when_full, NEW.evict_idle_minutes, NEW.seat_alerts)
           IS DISTINCT FROM
           (OLD.password_policy, OLD.invitation_hours, OLD.session_lifetime_hours,
            OLD.sessions_per_person, OLD.when_full, OLD.evict_idle_minutes, OLD.seat_alerts)
    THEN
        NEW.settings_version := OLD.settings_version + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER tenants_settings_version BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION rollcall_settings_version();
