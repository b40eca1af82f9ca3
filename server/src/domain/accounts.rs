//! Account administration.

use super::account_summary::{bad, summary};
use super::audit::{self, Action, Target};
use super::caller::{today, Actor, AdminCaller, Origin};
use super::passwords;
use super::permissions::check_groups;
use super::tenant::directory_not_allowed;
use super::tenant::{tenant_policy, tenant_settings};
use super::Services;
use crate::db::{self, accounts::AccountRow, sessions::EndReason};
use crate::error::{first_error, unique_violation, Error, Result};
use crate::zone::Zone;
use app::model::duplicate::{DuplicateAccountRequest, DuplicatePart};
use app::model::invitations::{InvitationView, LinkState};
use app::model::permissions::GroupId;
use app::model::{
    text, AccountDetails, AccountFormOptions, AccountId, AccountStatus, AccountSummary,
    AccountType, ApiError, CaseAccess, ClientId, CreateAccountRequest, CurrentAccount, FormContext,
    NewAccount, PasswordOwner, ResetPasswordRequest, Role, UpdateAccountRequest,
};
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

fn details(
    r: &AccountRow,
    clients: Vec<Uuid>,
    groups: Vec<Uuid>,
    invitation: Option<InvitationView>,
    now: OffsetDateTime,
    zone: &Zone,
) -> Result<AccountDetails> {
    Ok(AccountDetails {
        summary: summary(r, now, zone)?,
        clients: clients.into_iter().map(ClientId::from_uuid).collect(),
        case_access: CaseAccess::parse(&r.case_access).map_err(|_| bad("case_access"))?,
        must_change_password: r.must_change_password,
        rotate_password: r.rotate_password,
        has_password: r.has_password,
        password_changed_at: r.password_changed_at,
        invitation,
        groups: groups.into_iter().map(GroupId::from_uuid).collect(),
        throttles: Vec::new(),
    })
}

/// The audit view of an account: what changed, never secrets.
fn audit_fields(a: &AccountRow, clients: &[Uuid], groups: &[String]) -> serde_json::Value {
    json!({
        "username": a.username,
        "account_type": a.account_type,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "email": a.email,
        "role": a.role,
        "status": a.status,
        "clients": clients,
        "case_access": a.case_access,
        "must_change_password": a.must_change_password,
        "rotate_password": a.rotate_password,
        "expires_on": a.expires_on.map(app::model::format_date),
        "groups": groups,
    })
}

async fn group_names(conn: &mut PgConnection, account_id: Uuid) -> Result<Vec<String>> {
    Ok(db::permissions::account_groups(conn, account_id)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect())
}

/// Refuses clients that are not active clients of the tenant. Clients the
/// account already has may stay even when archived since.
pub async fn check_new_clients(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    wanted: &[ClientId],
    already: &[Uuid],
) -> Result<Vec<Uuid>> {
    let ids: Vec<Uuid> = wanted.iter().map(ClientId::as_uuid).collect();
    let added: Vec<Uuid> = ids
        .iter()
        .copied()
        .filter(|id| !already.contains(id))
        .collect();
    if !added.is_empty()
        && db::clients::count_active_among(conn, tenant_id, &added).await? != added.len() as i64
    {
        return Err(ApiError::validation(
            "clients",
            "One of the chosen clients is archived or no longer exists. Reload the page and choose again.",
        )
        .into());
    }
    Ok(ids)
}

/// Validates, hashes and inserts an account with its clients and audit
/// event, inside the caller's transaction, under the tenant's policy.
/// Shared by administrators and the operator CLI.
pub async fn create_in_tenant(
    tx: &mut PgConnection,
    public_url: &str,
    tenant_id: Uuid,
    request: &CreateAccountRequest,
    actor: &Actor,
    origin: &Origin,
    now: OffsetDateTime,
) -> Result<AccountRow> {
    let settings = tenant_settings(tx, tenant_id).await?;
    let ctx = FormContext {
        policy: &settings.password_policy,
        today: today(now, &Zone::stored(&settings.time_zone)),
        clients_required: db::clients::any_active(tx, tenant_id).await?,
    };
    if request.account_type == AccountType::Directory.as_str() && !settings.directory_signin_enabled
    {
        return Err(directory_not_allowed());
    }
    let new: NewAccount = request.validate(ctx).map_err(|errors| {
        // The CLI prints one error: make it the whole password story.
        first_error(errors)
    })?;
    check_directory_allowed(&new, settings.directory_signin_enabled)?;
    let clients = check_new_clients(tx, tenant_id, &new.values.clients, &[]).await?;
    let hash = passwords::first_password_hash(new.password.as_ref()).await?;
    insert_new(
        tx,
        NewRow {
            tenant_id,
            new: &new,
            clients: &clients,
            hash: hash.as_deref(),
            source: None,
            public_url,
        },
        actor,
        origin,
        now,
    )
    .await
}

/// Whether directory accounts may be created in the tenant.
pub fn check_directory_allowed(new: &NewAccount, directory_enabled: bool) -> Result<()> {
    if new.account_type == AccountType::Directory && !directory_enabled {
        return Err(directory_not_allowed());
    }
    Ok(())
}

/// A validated account ready to insert.
pub struct NewRow<'a> {
    pub tenant_id: Uuid,
    pub new: &'a NewAccount,
    pub clients: &'a [Uuid],
    pub hash: Option<&'a str>,
    /// Where it came from, for the audit event (e.g. an import's line).
    pub source: Option<serde_json::Value>,
    /// For the invitation link, when the account is invited.
    pub public_url: &'a str,
}

/// Inserts a validated account with its clients, password history and
/// audit event. A taken username is a `409 conflict` naming it.
pub async fn insert_new(
    tx: &mut PgConnection,
    n: NewRow<'_>,
    actor: &Actor,
    origin: &Origin,
    now: OffsetDateTime,
) -> Result<AccountRow> {
    let (new, tenant_id) = (n.new, n.tenant_id);
    let v = &new.values;
    let inserted = db::accounts::insert(
        tx,
        db::accounts::InsertAccount {
            tenant_id,
            username: new.username.as_str(),
            username_key: &new.username.folded(),
            first_name: v.first_name.as_str(),
            last_name: v.last_name.as_str(),
            email: v.email.as_str(),
            role: v.role.as_str(),
            status: v.status.as_str(),
            account_type: new.account_type.as_str(),
            case_access: v.case_access.as_str(),
            must_change_password: v.must_change_password,
            rotate_password: v.rotate_password,
            expires_on: v.expires_on,
            password_hash: n.hash,
            now,
        },
    )
    .await
    .map_err(Error::from);
    let row = match inserted {
        Err(e) if unique_violation(&e) == Some("accounts_username_key") => {
            return Err(ApiError::conflict(
                "username",
                format!(
                    "The username “{}” is already taken in this organisation (usernames ignore case). Choose another.",
                    new.username
                ),
            )
            .into())
        }
        other => other?,
    };
    db::accounts::set_clients(tx, tenant_id, row.id, n.clients).await?;
    let groups = check_groups(tx, tenant_id, &v.groups).await?;
    db::permissions::set_account_groups(tx, tenant_id, row.id, &groups).await?;
    let group_names = group_names(tx, row.id).await?;
    if let Some(hash) = n.hash {
        db::accounts::remember_password(tx, row.id, hash, now).await?;
    }
    let mut details = json!({ "after": audit_fields(&row, n.clients, &group_names) });
    if let (Some(map), Some(source)) = (details.as_object_mut(), n.source) {
        map.insert("source".into(), source);
    }
    audit::record(
        tx,
        audit::Event {
            tenant_id: Some(tenant_id),
            at: now,
            actor,
            action: Action::AccountCreated,
            target: Target::of("account", row.id, &row.username),
            details,
            origin,
        },
    )
    .await?;
    if new.invite {
        super::invitations::invite_new_account(tx, n.public_url, &row, actor, origin, now).await?;
    }
    Ok(row)
}

/// Why an edit from `before` to `after` closes the account's open
/// invitation and reset links, if it does: the address they were mailed to
/// changed, the account can no longer sign in, or it no longer has a
/// Rollcall password.
pub fn closes_links(
    before: &db::accounts::AccountRow,
    after: &db::accounts::AccountRow,
    action: Action,
) -> Option<LinkState> {
    if after.account_type != before.account_type {
        Some(LinkState::TypeChanged)
    } else if text::fold(&after.email) != text::fold(&before.email) {
        Some(LinkState::EmailChanged)
    } else if action == Action::AccountDeactivated {
        Some(LinkState::AccountDeactivated)
    } else {
        None
    }
}

impl Services {
    pub async fn create_account(
        &self,
        admin: &AdminCaller,
        request: &CreateAccountRequest,
    ) -> Result<AccountSummary> {
        let request = &self
            .fill_from_directory(admin.tenant_id.as_uuid(), request)
            .await?;
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let row = create_in_tenant(
            &mut tx,
            &self.settings.public_url,
            admin.tenant_id.as_uuid(),
            request,
            admin.actor(),
            &admin.origin,
            now,
        )
        .await?;
        // Memberships written after the row count in its version.
        let version = db::accounts::version_of(&mut tx, row.tenant_id, row.id).await?;
        tx.commit().await?;
        if request.invite {
            self.mail_queued();
        }
        Ok(AccountSummary {
            version,
            ..summary(&row, now, &admin.zone)?
        })
    }

    /// "Duplicate": creates the account and its invitation, copies the
    /// source's person-level form permissions when asked, all in one
    /// transaction, audited as duplicated from the source.
    pub async fn duplicate_account(
        &self,
        admin: &AdminCaller,
        req: &DuplicateAccountRequest,
    ) -> Result<AccountSummary> {
        let tenant_id = admin.tenant_id.as_uuid();
        let mut request = self.fill_from_directory(tenant_id, &req.account).await?;
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let source = db::accounts::get(&mut tx, tenant_id, req.source.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        // A copy never takes a password: its owner is invited.
        request.invite = request.account_type == AccountType::Local.as_str();
        let row = create_in_tenant(
            &mut tx,
            &self.settings.public_url,
            tenant_id,
            &request,
            admin.actor(),
            &admin.origin,
            now,
        )
        .await?;
        let copied_cells = if req.parts.contains(&DuplicatePart::FormPermissions) {
            db::permissions::copy_account_cells(&mut tx, tenant_id, source.id, row.id).await?
        } else {
            0
        };
        audit::record(
            &mut tx,
            audit::Event::by(
                admin,
                Action::AccountDuplicated,
                Target::of("account", row.id, &row.username),
                json!({
                    "duplicated_from": source.username,
                    "parts": req.parts,
                    "person_cells_copied": copied_cells,
                }),
                now,
            ),
        )
        .await?;
        let version = db::accounts::version_of(&mut tx, row.tenant_id, row.id).await?;
        tx.commit().await?;
        self.mail_queued();
        Ok(AccountSummary {
            version,
            ..summary(&row, now, &admin.zone)?
        })
    }

    pub async fn get_account(&self, admin: &AdminCaller, id: AccountId) -> Result<AccountDetails> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        let row = db::accounts::get(&mut conn, admin.tenant_id.as_uuid(), id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        let clients = db::accounts::client_ids(&mut conn, row.id).await?;
        let now = self.now();
        let invitation =
            super::invitations::latest_invitation(&mut conn, row.tenant_id, row.id, now).await?;
        let groups = db::permissions::account_groups(&mut conn, row.id)
            .await?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut account = details(&row, clients, groups, invitation, now, &admin.zone)?;
        account.throttles = super::throttle::account_throttles(
            &mut conn,
            row.tenant_id,
            &super::throttle::username_key(&row.username),
            now,
        )
        .await?;
        Ok(account)
    }

    /// What the account form offers: settings, clients and today's date.
    pub async fn account_form_options(&self, admin: &AdminCaller) -> Result<AccountFormOptions> {
        let settings = {
            let mut conn = db::begin(&self.pool, admin.scope()).await?;
            tenant_settings(&mut conn, admin.tenant_id.as_uuid()).await?
        };
        Ok(AccountFormOptions {
            settings,
            clients: self.list_clients(admin).await?,
            groups: self.list_groups(admin).await?,
            today: admin.today(self.now()),
        })
    }

    /// Edits everything but the username and type. Deactivating ends the
    /// account's sessions at once; reactivating an expired account needs a
    /// new password. Nobody demotes or deactivates themselves, and the last
    /// active administrator stays one.
    pub async fn update_account(
        &self,
        admin: &AdminCaller,
        request: &UpdateAccountRequest,
    ) -> Result<AccountSummary> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        db::tenants::lock(&mut tx, tenant_id).await?;
        let before = db::accounts::lock(&mut tx, tenant_id, request.id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        let clients_before = db::accounts::client_ids(&mut tx, before.id).await?;
        if request.version != before.version {
            // Someone saved since this form was opened: nothing is put back.
            let groups = db::permissions::account_groups(&mut tx, before.id)
                .await?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            let invitation =
                super::invitations::latest_invitation(&mut tx, tenant_id, before.id, now).await?;
            let current = details(
                &before,
                clients_before,
                groups,
                invitation,
                now,
                &admin.zone,
            )?;
            return Err(ApiError::stale(
                "account",
                serde_json::to_value(current).unwrap_or_default(),
            )
            .into());
        }
        let groups_before = group_names(&mut tx, before.id).await?;
        let policy = tenant_policy(&mut tx, tenant_id).await?;
        let ctx = FormContext {
            policy: &policy,
            today: admin.today(now),
            clients_required: db::clients::any_active(&mut tx, tenant_id).await?,
        };
        let account_type =
            AccountType::parse(&before.account_type).map_err(|_| bad("account_type"))?;
        let was_expired = admin.is_expired(before.expires_on, now);
        let changes = request
            .validate(
                ctx,
                CurrentAccount {
                    username: &before.username,
                    account_type,
                    expires_on: before.expires_on,
                    expired: was_expired,
                },
            )
            .map_err(first_error)?;
        let v = &changes.values;
        if account_type == AccountType::Directory
            && (v.first_name.as_str() != before.first_name
                || v.last_name.as_str() != before.last_name
                || v.email.as_str() != before.email)
        {
            return Err(ApiError::validation(
                "first_name",
                "The names and email of a directory account come from Active Directory and cannot be changed here.",
            )
            .into());
        }
        let was_active_admin = before.role == Role::Administrator.as_str()
            && before.status == AccountStatus::Active.as_str()
            && !was_expired;
        let stays_active_admin = v.role == Role::Administrator
            && v.status == AccountStatus::Active
            && !admin.is_expired(v.expires_on, now);
        if was_active_admin && !stays_active_admin {
            if request.id == admin.account_id {
                return Err(ApiError::refused("You cannot demote, deactivate or expire your own account. Ask another administrator to do it.",
                )
                .into());
            }
            if db::accounts::count_active_admins(&mut tx, tenant_id, admin.today(now)).await? <= 1 {
                return Err(ApiError::refused("This is the organisation's last active administrator: it cannot be demoted or deactivated.",
                )
                .into());
            }
        }
        let clients = check_new_clients(&mut tx, tenant_id, &v.clients, &clients_before).await?;
        // Checked as the request was validated: with the email as edited.
        let owner = PasswordOwner {
            username: &before.username,
            email: v.email.as_str(),
        };
        let new_password = match changes.new_password {
            Some(_) => {
                let new = &request.new_password;
                Some(passwords::check(&mut tx, before.id, &policy, new, owner).await?)
            }
            None => None,
        };
        let after = db::accounts::update(
            &mut tx,
            tenant_id,
            before.id,
            db::accounts::UpdateAccount {
                username: &before.username,
                first_name: v.first_name.as_str(),
                last_name: v.last_name.as_str(),
                email: v.email.as_str(),
                role: v.role.as_str(),
                status: v.status.as_str(),
                case_access: v.case_access.as_str(),
                must_change_password: v.must_change_password,
                rotate_password: v.rotate_password,
                expires_on: v.expires_on,
                now,
            },
        )
        .await?;
        db::accounts::set_clients(&mut tx, tenant_id, after.id, &clients).await?;
        let groups = check_groups(&mut tx, tenant_id, &v.groups).await?;
        db::permissions::set_account_groups(&mut tx, tenant_id, after.id, &groups).await?;
        let groups_after = group_names(&mut tx, after.id).await?;
        if let Some(password) = new_password {
            let must_change = v.must_change_password;
            passwords::store(&mut tx, &after, password, must_change, now).await?;
        }
        let was_usable = before.status == "active" && !was_expired;
        let is_usable = after.status == "active" && !admin.is_expired(after.expires_on, now);
        let action = match (was_usable, is_usable) {
            (true, false) => Action::AccountDeactivated,
            (false, true) => Action::AccountReactivated,
            _ => Action::AccountUpdated,
        };
        let ended = if action == Action::AccountDeactivated {
            let reason = if after.status == "active" {
                EndReason::AccountExpired
            } else {
                EndReason::AccountDeactivated
            };
            db::sessions::end_for_account(&mut tx, after.id, now, reason, None).await?
        } else {
            0
        };
        // A link mailed to the old address, or to a person who may no
        // longer sign in, stops working (#25).
        let links_closed = match closes_links(&before, &after, action) {
            Some(state) => {
                let reason = state.closed_reason().unwrap_or("superseded");
                let n = db::links::close_open(&mut tx, after.id, None, reason, now).await?;
                (n > 0).then(|| json!({ "count": n, "reason": reason }))
            }
            None => None,
        };
        let mut changed = audit::changes(
            &audit_fields(&before, &clients_before, &groups_before),
            &audit_fields(&after, &clients, &groups_after),
        );
        if changes.new_password.is_some() {
            changed.insert("password".into(), json!("set by an administrator"));
        }
        if !changed.is_empty() {
            audit::record(
                &mut tx,
                audit::Event::by(
                    admin,
                    action,
                    Target::of("account", after.id, &after.username),
                    json!({
                        "changes": changed,
                        "sessions_ended": ended,
                        "links_closed": links_closed,
                    }),
                    now,
                ),
            )
            .await?;
        }
        // Memberships written after the row count in its version.
        let version = db::accounts::version_of(&mut tx, tenant_id, after.id).await?;
        tx.commit().await?;
        Ok(AccountSummary {
            version,
            ..summary(&after, now, &admin.zone)?
        })
    }

    /// An administrator sets a new password for a local account of the
    /// tenant (never their own: they use Change password). The owner must
    /// change it at next sign-in unless the request says otherwise; the
    /// account's sessions end.
    pub async fn reset_password(
        &self,
        admin: &AdminCaller,
        req: &ResetPasswordRequest,
    ) -> Result<()> {
        if req.id == admin.account_id {
            return Err(ApiError::refused(
                "To change your own password, use Change password in the menu.",
            )
            .into());
        }
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let account = db::accounts::lock(&mut tx, tenant_id, req.id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        if account.account_type != AccountType::Local.as_str() {
            return Err(ApiError::refused(
                "This is a directory account: its password is managed in the directory.",
            )
            .into());
        }
        let policy = tenant_policy(&mut tx, tenant_id).await?;
        let must_change = req.must_change_password;
        passwords::set_password(
            &mut tx,
            &account,
            &policy,
            &req.new_password,
            must_change,
            now,
        )
        .await?;
        let ended =
            db::sessions::end_for_account(&mut tx, account.id, now, EndReason::PasswordReset, None)
                .await?;
        audit::record(
            &mut tx,
            audit::Event::by(
                admin,
                Action::PasswordReset,
                Target::of("account", account.id, &account.username),
                json!({
                    "must_change_password": req.must_change_password,
                    "sessions_ended": ended,
                }),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an account of the caller's tenant, ending its sessions (and
    /// freeing their seats) at once. Nobody deletes themselves, and the last
    /// active administrator stays.
    pub async fn delete_account(&self, admin: &AdminCaller, id: AccountId) -> Result<()> {
        if id == admin.account_id {
            return Err(ApiError::refused(
                "You cannot delete your own account. Ask another administrator to do it.",
            )
            .into());
        }
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        // Serialises deletions within the tenant so two administrators cannot
        // delete each other at the same moment and leave none.
        db::tenants::lock(&mut tx, tenant_id).await?;
        let target = db::accounts::lock(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        if target.role == Role::Administrator.as_str()
            && target.status == AccountStatus::Active.as_str()
            && !admin.is_expired(target.expires_on, now)
            && db::accounts::count_active_admins(&mut tx, tenant_id, admin.today(now)).await? <= 1
        {
            return Err(ApiError::refused(
                "This is the organisation's last active administrator and cannot be deleted.",
            )
            .into());
        }
        let clients = db::accounts::client_ids(&mut tx, target.id).await?;
        let groups = group_names(&mut tx, target.id).await?;
        // Ended now, so the usage history keeps when they really ended.
        db::sessions::end_for_account(
            &mut tx,
            target.id,
            now,
            db::sessions::EndReason::AccountDeleted,
            None,
        )
        .await?;
        db::accounts::delete(&mut tx, tenant_id, target.id).await?;
        audit::record(
            &mut tx,
            audit::Event::by(
                admin,
                Action::AccountDeleted,
                Target::of("account", target.id, &target.username),
                json!({ "before": audit_fields(&target, &clients, &groups) }),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
