//! Account administration.

use super::audit::{self, Action, Actor, Origin, Target};
use super::auth::AdminCaller;
use super::Services;
use crate::crypto;
use crate::db::{self, accounts::AccountRow};
use crate::error::{unique_violation, Error, Result};
use app::model::{
    AccountId, AccountStatus, AccountSummary, ApiError, CreateAccountRequest, ErrorCode,
    NewAccount, PasswordPolicy, Role, UpdateAccountRequest,
};
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

impl TryFrom<AccountRow> for AccountSummary {
    type Error = Error;
    fn try_from(r: AccountRow) -> Result<Self> {
        Ok(AccountSummary {
            id: AccountId::from_uuid(r.id),
            role: Role::parse(&r.role).map_err(|_| bad("role"))?,
            status: AccountStatus::parse(&r.status).map_err(|_| bad("status"))?,
            username: r.username,
            first_name: r.first_name,
            last_name: r.last_name,
            email: r.email,
            created_at: r.created_at,
        })
    }
}

/// A stored value the code does not know: a bug or a hand edit, not user error.
fn bad(column: &str) -> Error {
    tracing::error!(column, "unreadable value in the accounts table");
    Error::Api(ApiError::internal())
}

/// The audit view of an account: what changed, never secrets.
fn audit_fields(a: &AccountRow) -> serde_json::Value {
    json!({
        "username": a.username,
        "first_name": a.first_name,
        "last_name": a.last_name,
        "email": a.email,
        "role": a.role,
        "status": a.status,
    })
}

/// Validates, hashes and inserts an account with its audit event, inside the
/// caller's transaction. Shared by administrators and the operator CLI.
pub async fn create_in_tenant(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    request: &CreateAccountRequest,
    actor: &Actor,
    origin: &Origin,
    now: OffsetDateTime,
) -> Result<AccountRow> {
    let new: NewAccount = request
        .validate(&PasswordPolicy::default())
        .map_err(|errors| errors.into_iter().next().unwrap_or_else(ApiError::internal))?;
    let hash = crypto::hash_password(new.password.clone()).await?;
    let inserted = db::accounts::insert(
        tx,
        db::accounts::InsertAccount {
            tenant_id,
            username: new.username.as_str(),
            username_key: &new.username.folded(),
            first_name: new.first_name.as_str(),
            last_name: new.last_name.as_str(),
            email: new.email.as_str(),
            role: new.role.as_str(),
            password_hash: Some(&hash),
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
    audit::record(
        tx,
        audit::Event {
            tenant_id: Some(tenant_id),
            at: now,
            actor,
            action: Action::AccountCreated,
            target: Some(Target {
                kind: "account",
                id: Some(row.id),
                label: &row.username,
            }),
            details: json!({ "after": audit_fields(&row) }),
            origin,
        },
    )
    .await?;
    Ok(row)
}

impl Services {
    pub async fn list_accounts(&self, admin: &AdminCaller) -> Result<Vec<AccountSummary>> {
        let mut conn = self.pool.acquire().await?;
        db::accounts::list(&mut conn, admin.tenant_id.as_uuid())
            .await?
            .into_iter()
            .map(AccountSummary::try_from)
            .collect()
    }

    pub async fn create_account(
        &self,
        admin: &AdminCaller,
        request: &CreateAccountRequest,
    ) -> Result<AccountSummary> {
        let mut tx = self.pool.begin().await?;
        let row = create_in_tenant(
            &mut tx,
            admin.tenant_id.as_uuid(),
            request,
            &admin.actor(),
            &admin.origin,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        row.try_into()
    }

    pub async fn get_account(&self, admin: &AdminCaller, id: AccountId) -> Result<AccountSummary> {
        let mut conn = self.pool.acquire().await?;
        db::accounts::get(&mut conn, admin.tenant_id.as_uuid(), id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?
            .try_into()
    }

    /// Edits everything but the username. Deactivating ends the account's
    /// sessions at once. Nobody demotes or deactivates themselves, and the
    /// last active administrator stays one.
    pub async fn update_account(
        &self,
        admin: &AdminCaller,
        request: &UpdateAccountRequest,
    ) -> Result<AccountSummary> {
        let changes = request
            .validate()
            .map_err(|errors| errors.into_iter().next().unwrap_or_else(ApiError::internal))?;
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        db::tenants::lock(&mut tx, tenant_id).await?;
        let before = db::accounts::lock(&mut tx, tenant_id, request.id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        let was_active_admin = before.role == Role::Administrator.as_str()
            && before.status == AccountStatus::Active.as_str();
        let stays_active_admin =
            changes.role == Role::Administrator && changes.status == AccountStatus::Active;
        if was_active_admin && !stays_active_admin {
            if request.id == admin.account_id {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "You cannot demote or deactivate your own account. Ask another administrator to do it.",
                )
                .into());
            }
            if db::accounts::count_active_admins(&mut tx, tenant_id).await? <= 1 {
                return Err(ApiError::new(
                    ErrorCode::Forbidden,
                    "This is the organisation's last active administrator: it cannot be demoted or deactivated.",
                )
                .into());
            }
        }
        let after = db::accounts::update(
            &mut tx,
            tenant_id,
            before.id,
            db::accounts::UpdateAccount {
                first_name: changes.first_name.as_str(),
                last_name: changes.last_name.as_str(),
                email: changes.email.as_str(),
                role: changes.role.as_str(),
                status: changes.status.as_str(),
                now,
            },
        )
        .await?;
        let action = match (before.status.as_str(), after.status.as_str()) {
            ("active", "inactive") => Action::AccountDeactivated,
            ("inactive", "active") => Action::AccountReactivated,
            _ => Action::AccountUpdated,
        };
        let ended = if action == Action::AccountDeactivated {
            db::sessions::end_for_account(&mut tx, after.id, now).await?
        } else {
            0
        };
        let (old, new) = (audit_fields(&before), audit_fields(&after));
        let changed: serde_json::Map<String, serde_json::Value> = new
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| old.get(k.as_str()) != Some(v))
            .map(|(k, v)| (k.clone(), json!({ "before": old[k.as_str()], "after": v })))
            .collect();
        if !changed.is_empty() {
            audit::record(
                &mut tx,
                audit::Event {
                    tenant_id: Some(tenant_id),
                    at: now,
                    actor: &admin.actor(),
                    action,
                    target: Some(Target {
                        kind: "account",
                        id: Some(after.id),
                        label: &after.username,
                    }),
                    details: json!({ "changes": changed, "sessions_ended": ended }),
                    origin: &admin.origin,
                },
            )
            .await?;
        }
        tx.commit().await?;
        after.try_into()
    }

    /// Deletes an account of the caller's tenant, ending its sessions (and
    /// freeing their seats) at once. Nobody deletes themselves, and the last
    /// active administrator stays.
    pub async fn delete_account(&self, admin: &AdminCaller, id: AccountId) -> Result<()> {
        if id == admin.account_id {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "You cannot delete your own account. Ask another administrator to do it.",
            )
            .into());
        }
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        // Serialises deletions within the tenant so two administrators cannot
        // delete each other at the same moment and leave none.
        db::tenants::lock(&mut tx, tenant_id).await?;
        let target = db::accounts::lock(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        if target.role == Role::Administrator.as_str()
            && target.status == AccountStatus::Active.as_str()
            && db::accounts::count_active_admins(&mut tx, tenant_id).await? <= 1
        {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "This is the organisation's last active administrator and cannot be deleted.",
            )
            .into());
        }
        db::accounts::delete(&mut tx, tenant_id, target.id).await?;
        audit::record(
            &mut tx,
            audit::Event {
                tenant_id: Some(tenant_id),
                at: now,
                actor: &admin.actor(),
                action: Action::AccountDeleted,
                target: Some(Target {
                    kind: "account",
                    id: Some(target.id),
                    label: &target.username,
                }),
                details: json!({ "before": audit_fields(&target) }),
                origin: &admin.origin,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
