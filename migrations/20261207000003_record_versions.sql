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

-- One trigger function for every table: its first argument names the
-- version column, the others the columns whose change raises it. A version
-- the statement set itself (an explicit bump) is left as it is.
CREATE FUNCTION rollcall_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_row jsonb := to_jsonb(NEW);
    old_row jsonb := to_jsonb(OLD);
BEGIN
    IF new_row -> TG_ARGV[0] IS DISTINCT FROM old_row -> TG_ARGV[0] THEN
        RETURN NEW;
    END IF;
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        IF new_row -> TG_ARGV[i] IS DISTINCT FROM old_row -> TG_ARGV[i] THEN
            RETURN jsonb_populate_record(
                NEW, jsonb_build_object(TG_ARGV[0], (old_row ->> TG_ARGV[0])::bigint + 1));
        END IF;
    END LOOP;
    RETURN NEW;
END $$;

CREATE TRIGGER accounts_version BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version(
        'version', 'first_name', 'last_name', 'email', 'role', 'status', 'account_type',
        'case_access', 'must_change_password', 'rotate_password', 'expires_on');

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

CREATE TRIGGER groups_version BEFORE UPDATE ON groups
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version('version', 'name', 'description');
CREATE TRIGGER forms_version BEFORE UPDATE ON forms
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version('version', 'name', 'retired_at');
CREATE TRIGGER form_columns_version BEFORE UPDATE ON form_columns
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version('version', 'name', 'retired_at');
CREATE TRIGGER clients_version BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version('version', 'name', 'archived_at');

-- directory/save also bumps it itself: every save is a new version.
CREATE TRIGGER tenant_directories_version BEFORE UPDATE ON tenant_directories
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version(
        'version', 'url', 'allow_plain', 'ca_pem', 'netbios_domain', 'upn_suffix', 'base_dn',
        'bind_name', 'bind_password_sealed');

CREATE TRIGGER tenants_settings_version BEFORE UPDATE ON tenants
    FOR EACH ROW EXECUTE FUNCTION rollcall_bump_version(
        'settings_version', 'password_policy', 'invitation_hours', 'session_lifetime_hours',
        'sessions_per_person', 'when_full', 'evict_idle_minutes', 'seat_alerts');
