//! The organisation's settings (password policy, directory sign-in), its
//! clients, and people changing their own password.

use super::audit::{self, Action, Target};
use super::caller::{AdminCaller, Caller};
use super::passwords;
use super::refusals;
use super::tenant::{tenant_policy, tenant_settings};
use super::throttle::{self, Settled};
use super::Services;
use crate::crypto;
use crate::db::{self, clients::ClientRow};
use crate::error::{check_version, first_error, unique_violation, Error, Result};
use crate::zone::Zone;
use app::model::invitations::check_invitation_hours;
use app::model::permissions::required_version;
use app::model::session::{
    check_evict_idle_minutes, check_session_lifetime_hours, check_sessions_per_person,
};
use app::model::{
    parse_client_name, ApiError, ChangePasswordRequest, Client, ClientId, PasswordOwner,
    PasswordPolicy, SaveClientRequest, SessionInfo, TenantSettings,
};
use serde_json::json;

/// A zone the bundled database knows but this Postgres does not (its copy of
/// the database is older): `22023` ("time zone not recognized") from the
/// check `tenants_time_zone_known`. Refused like an unknown name, so no
/// stored zone can break a query. Any other error stays what it is.
fn unknown_to_postgres(e: sqlx::Error, zone: &str) -> Error {
    let known_check = e.as_database_error().is_some_and(|d| {
        d.code().as_deref() == Some("22023") || d.constraint() == Some("tenants_time_zone_known")
    });
    match known_check {
        true => ApiError::validation(
            "time_zone",
            format!("The database does not know the time zone {zone} yet: choose a neighbouring zone with the same clock, and ask your Rollcall provider to update PostgreSQL's time zone data."),
        )
        .into(),
        _ => e.into(),
    }
}

fn client_from_row(r: ClientRow) -> Client {
    Client {
        id: ClientId::from_uuid(r.id),
        name: r.name,
        archived: r.archived_at.is_some(),
        account_count: u32::try_from(r.account_count).unwrap_or(u32::MAX),
        created_at: r.created_at,
        version: r.version,
    }
}

impl Services {
    pub async fn get_settings(&self, admin: &AdminCaller) -> Result<TenantSettings> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        tenant_settings(&mut conn, admin.tenant_id.as_uuid()).await
    }

    /// Saves the settings; the audit event names every changed setting.
    pub async fn update_settings(
        &self,
        admin: &AdminCaller,
        settings: &TenantSettings,
    ) -> Result<TenantSettings> {
        settings
            .password_policy
            .validate_settings()
            .map_err(first_error)?;
        check_invitation_hours(settings.invitation_hours)?;
        check_session_lifetime_hours(settings.session_lifetime_hours)?;
        check_sessions_per_person(settings.sessions_per_person)?;
        check_evict_idle_minutes(settings.evict_idle_minutes)?;
        let zone = Zone::parse(settings.time_zone.trim())
            .map_err(|e| ApiError::validation("time_zone", e.to_string()))?;
        let settings = &TenantSettings {
            time_zone: zone.name().to_owned(),
            ..settings.clone()
        };
        let tenant_id = admin.tenant_id.as_uuid();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let tenant = db::tenants::lock(&mut tx, tenant_id).await?;
        let before = tenant_settings(&mut tx, tenant_id).await?;
        // The tenant is locked: an edit of older settings puts nothing back.
        check_version("settings", settings.version, before.version, || {
            before.clone()
        })?;
        let policy_json = serde_json::to_value(&settings.password_policy)
            .map_err(|_| Error::Api(ApiError::internal()))?;
        let int = |n: u32| i32::try_from(n).map_err(|_| ApiError::internal());
        db::tenants::set_settings(
            &mut tx,
            tenant_id,
            db::tenants::SettingsUpdate {
                password_policy: &policy_json,
                invitation_hours: int(settings.invitation_hours)?,
                session_lifetime_hours: int(settings.session_lifetime_hours)?,
                sessions_per_person: int(settings.sessions_per_person)?,
                when_full: settings.when_full.as_str(),
                evict_idle_minutes: int(settings.evict_idle_minutes)?,
                seat_alerts: settings.seat_alerts,
                time_zone: zone.name(),
            },
        )
        .await
        .map_err(|e| unknown_to_postgres(e, zone.name()))?;
        let flat = |s: &TenantSettings| {
            let mut v = serde_json::to_value(&s.password_policy).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("invitation_hours".into(), json!(s.invitation_hours));
                map.insert(
                    "session_lifetime_hours".into(),
                    json!(s.session_lifetime_hours),
                );
                map.insert("sessions_per_person".into(), json!(s.sessions_per_person));
                map.insert("when_full".into(), json!(s.when_full));
                map.insert("evict_idle_minutes".into(), json!(s.evict_idle_minutes));
                map.insert("seat_alerts".into(), json!(s.seat_alerts));
                map.insert("time_zone".into(), json!(s.time_zone));
            }
            v
        };
        let changed = audit::changes(&flat(&before), &flat(settings));
        if !changed.is_empty() {
            audit::record(
                &mut tx,
                audit::Event::on_tenant(
                    (tenant_id, &tenant.slug),
                    Action::SettingsChanged,
                    json!({ "changes": changed }),
                    admin.actor(),
                    &admin.origin,
                    self.now(),
                ),
            )
            .await?;
        }
        let version = tenant_settings(&mut tx, tenant_id).await?.version;
        tx.commit().await?;
        Ok(TenantSettings {
            // Switched in Settings → Directory (save_directory), not here.
            directory_signin_enabled: before.directory_signin_enabled,
            version,
            ..settings.clone()
        })
    }

    pub async fn list_clients(&self, admin: &AdminCaller) -> Result<Vec<Client>> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        Ok(db::clients::list(&mut conn, admin.tenant_id.as_uuid())
            .await?
            .into_iter()
            .map(client_from_row)
            .collect())
    }

    /// Creates a client, or renames one of the caller's tenant.
    pub async fn save_client(
        &self,
        admin: &AdminCaller,
        req: &SaveClientRequest,
    ) -> Result<Client> {
        let name = parse_client_name(&req.name).map_err(|m| ApiError::validation("name", m))?;
        let key = app::model::text::fold(&name);
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let (id, action, details) = match req.id {
            None => {
                let id = db::clients::insert(&mut tx, tenant_id, &name, &key, now).await;
                (
                    id.map_err(Error::from),
                    Action::ClientCreated,
                    json!({ "after": { "name": name } }),
                )
            }
            Some(id) => {
                let before = db::clients::get(&mut tx, tenant_id, id.as_uuid())
                    .await?
                    .ok_or_else(|| ApiError::not_found("client"))?;
                // Locked: a rename based on an older version puts nothing back.
                let version = required_version(req.version)?;
                check_version("client", version, before.version, || {
                    client_from_row(before.clone())
                })?;
                let renamed = db::clients::rename(&mut tx, tenant_id, before.id, &name, &key)
                    .await
                    .map(|()| before.id);
                (
                    renamed.map_err(Error::from),
                    Action::ClientRenamed,
                    json!({ "changes": { "name": { "before": before.name, "after": name } } }),
                )
            }
        };
        let id = match id {
            Err(e) if unique_violation(&e) == Some("clients_name_key") => {
                // The failed statement ended the transaction's use: free its
                // connection before asking on another.
                drop(tx);
                let clients = crate::db::text_keys::Named::Clients;
                return Err(super::text_keys::name_taken(
                    &self.pool, tenant_id, clients, None, &name,
                )
                .await);
            }
            other => other?,
        };
        audit::record(
            &mut tx,
            audit::Event::by(admin, action, Target::of("client", id, &name), details, now),
        )
        .await?;
        let saved = db::clients::get(&mut tx, tenant_id, id)
            .await?
            .ok_or_else(ApiError::internal)?;
        tx.commit().await?;
        Ok(client_from_row(saved))
    }

    /// Archives (or restores) a client. Accounts keep it; it can no longer be
    /// chosen for more accounts.
    pub async fn archive_client(
        &self,
        admin: &AdminCaller,
        id: ClientId,
        archived: bool,
    ) -> Result<Client> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let before = db::clients::get(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("client"))?;
        if before.archived_at.is_some() != archived {
            db::clients::set_archived(&mut tx, tenant_id, before.id, archived.then_some(now))
                .await?;
            audit::record(
                &mut tx,
                audit::Event::by(
                    admin,
                    if archived {
                        Action::ClientArchived
                    } else {
                        Action::ClientRestored
                    },
                    Target::of("client", before.id, &before.name),
                    json!({ "accounts": before.account_count }),
                    now,
                ),
            )
            .await?;
        }
        let after = db::clients::get(&mut tx, tenant_id, before.id)
            .await?
            .ok_or_else(ApiError::internal)?;
        tx.commit().await?;
        Ok(client_from_row(after))
    }

    /// The caller's own policy (any signed-in person, restricted or not).
    pub async fn password_policy(&self, caller: &Caller) -> Result<PasswordPolicy> {
        let mut conn = db::begin(&self.pool, caller.scope()).await?;
        tenant_policy(&mut conn, caller.tenant_id.as_uuid()).await
    }

    /// Someone changes their own password: the current one must be right, the
    /// new one must meet the policy and not be among the last N. Other
    /// sessions of the account stay; the must-change flag is cleared.
    pub async fn change_password(
        &self,
        caller: &Caller,
        req: &ChangePasswordRequest,
    ) -> Result<SessionInfo> {
        let tenant_id = caller.tenant_id.as_uuid();
        let account_id = caller.account_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, caller.scope()).await?;
        let account = db::accounts::lock(&mut tx, tenant_id, account_id)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let policy = tenant_policy(&mut tx, tenant_id).await?;
        req.validate(
            &policy,
            PasswordOwner {
                username: &account.username,
                email: &account.email,
            },
        )
        .map_err(first_error)?;
        let current = db::accounts::password_hash(&mut tx, tenant_id, account_id).await?;
        if current.is_none() {
            return Err(ApiError::refused(
                "This account's password is managed in the directory; change it there.",
            )
            .into());
        }
        // Guessing the current password through an open session (an
        // unattended device, a stolen cookie) meets the sign-in throttle:
        // same scopes, same delays, failures audited (ASVS 5.0 V6.3.1).
        let attempt = match throttle::begin_attempt(
            &mut tx,
            tenant_id,
            &account.username,
            caller.origin.ip.as_deref(),
            now,
        )
        .await?
        {
            Ok(attempt) => attempt,
            Err(wait) => {
                let actor = caller.actor();
                refusals::record(
                    &mut tx,
                    audit::Event::on_account(
                        &account,
                        Action::PasswordChangeFailed,
                        json!({ "reason": "throttled", "retry_after": wait.retry_after }),
                        actor,
                        &caller.origin,
                        now,
                    ),
                )
                .await?;
                tx.commit().await?;
                return Err(wait.into());
            }
        };
        if !crypto::verify_password(current, req.current_password.clone())
            .await?
            .matched()
        {
            let actor = caller.actor();
            attempt
                .settle(&mut tx, Settled::Failed, actor, &caller.origin, now)
                .await?;
            audit::record(
                &mut tx,
                audit::Event::on_account(
                    &account,
                    Action::PasswordChangeFailed,
                    json!({ "reason": "wrong_current_password" }),
                    actor,
                    &caller.origin,
                    now,
                ),
            )
            .await?;
            tx.commit().await?;
            return Err(ApiError::validation(
                "current_password",
                "Your current password is not correct. Type it again.",
            )
            .into());
        }
        attempt
            .settle(
                &mut tx,
                Settled::Succeeded,
                caller.actor(),
                &caller.origin,
                now,
            )
            .await?;
        passwords::set_password(&mut tx, &account, &policy, &req.new_password, false, now).await?;
        // Whoever else held the old password is signed out; this session,
        // which just proved it knows the current one, stays.
        let others_ended = db::sessions::end_for_account(
            &mut tx,
            account_id,
            now,
            db::sessions::EndReason::PasswordChanged,
            Some(caller.session_id),
        )
        .await?;
        audit::record(
            &mut tx,
            audit::Event::by(
                caller,
                Action::PasswordChanged,
                Target::of("account", account_id, &account.username),
                json!({
                    "was_required": caller.password_change_required,
                    "other_sessions_ended": others_ended,
                }),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        let mut info = caller.session_info(self.settings.heartbeat_seconds);
        info.password_change_required = false;
        Ok(info)
    }
}
