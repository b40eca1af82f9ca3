//! Groups: listed with their member counts, saved (names unique ignoring
//! case), their members, deleted (a confirmation lists who loses what).

use super::invalid;
use crate::db::text_keys::Named;
use crate::db::{self, permissions as dbp};
use crate::domain::audit::{self, Action, Target};
use crate::domain::caller::AdminCaller;
use crate::domain::text_keys::name_taken;
use crate::domain::Services;
use crate::error::{check_version, stale_unless, unique_violation, Error, Result};
use app::model::permissions::{
    parse_description, parse_name, required_version, AffectedAccount, Group, GroupId,
    SaveGroupRequest,
};
use app::model::{AccountId, ApiError};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

fn group_from(r: dbp::GroupRow) -> Group {
    Group {
        id: GroupId::from_uuid(r.id),
        name: r.name,
        description: r.description,
        member_count: u32::try_from(r.member_count).unwrap_or(u32::MAX),
        version: r.version,
    }
}

/// Refuses groups that are not the tenant's.
pub async fn check_groups(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    groups: &[GroupId],
) -> Result<Vec<Uuid>> {
    let mut ids: Vec<Uuid> = groups.iter().map(GroupId::as_uuid).collect();
    ids.sort();
    ids.dedup();
    if dbp::count_groups_among(conn, tenant_id, &ids).await? != ids.len() as i64 {
        return Err(invalid(
            "groups",
            "One of the chosen groups no longer exists. Reload the page and choose again.",
        ));
    }
    Ok(ids)
}

impl Services {
    pub async fn list_groups(&self, admin: &AdminCaller) -> Result<Vec<Group>> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        Ok(dbp::list_groups(&mut conn, admin.tenant_id.as_uuid())
            .await?
            .into_iter()
            .map(group_from)
            .collect())
    }

    /// Creates a group, or renames and describes one.
    pub async fn save_group(&self, admin: &AdminCaller, req: &SaveGroupRequest) -> Result<Group> {
        let name = parse_name("group", &req.name).map_err(|m| invalid("name", m))?;
        let description =
            parse_description(&req.description).map_err(|m| invalid("description", m))?;
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let (saved, action, details) = match req.id {
            None => (
                dbp::insert_group(&mut tx, tenant_id, &name, &description, now)
                    .await
                    .map_err(Error::from),
                Action::GroupCreated,
                json!({ "after": { "name": name, "description": description } }),
            ),
            Some(id) => {
                let before = dbp::get_group(&mut tx, tenant_id, id.as_uuid())
                    .await?
                    .ok_or_else(|| ApiError::not_found("group"))?;
                let version = required_version(req.version)?;
                let changed = audit::changes(
                    &json!({ "name": before.name, "description": before.description }),
                    &json!({ "name": name, "description": description }),
                );
                let (before_id, stored) = (before.id, before.version);
                check_version("group", version, stored, || group_from(before))?;
                (
                    dbp::update_group(
                        &mut tx,
                        tenant_id,
                        (before_id, version),
                        &name,
                        &description,
                    )
                    .await
                    .map_err(Error::from)
                    .and_then(|done| stale_unless(done, "group", before_id)),
                    Action::GroupChanged,
                    json!({ "changes": changed }),
                )
            }
        };
        let id = match saved {
            Err(e) if unique_violation(&e) == Some("groups_name_key") => {
                // The failed statement ended the transaction's use: free its
                // connection before asking on another.
                drop(tx);
                return Err(name_taken(&self.pool, tenant_id, Named::Groups, None, &name).await);
            }
            other => other?,
        };
        audit::record(
            &mut tx,
            audit::Event::by(admin, action, Target::of("group", id, &name), details, now),
        )
        .await?;
        let saved = dbp::get_group(&mut tx, tenant_id, id)
            .await?
            .ok_or_else(ApiError::internal)?;
        tx.commit().await?;
        Ok(group_from(saved))
    }

    /// The accounts in a group (what deleting it would affect).
    pub async fn group_members(
        &self,
        admin: &AdminCaller,
        id: GroupId,
    ) -> Result<Vec<AffectedAccount>> {
        let tenant_id = admin.tenant_id.as_uuid();
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        dbp::get_group(&mut conn, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("group"))?;
        Ok(dbp::group_members(&mut conn, tenant_id, id.as_uuid())
            .await?
            .into_iter()
            .map(|m| AffectedAccount {
                id: AccountId::from_uuid(m.id),
                username: m.username,
                name: format!("{} {}", m.first_name, m.last_name),
            })
            .collect())
    }

    /// Deletes a group. One in use needs `confirm`; its members lose it
    /// (and what it granted) at once.
    pub async fn delete_group(
        &self,
        admin: &AdminCaller,
        id: GroupId,
        confirm: bool,
    ) -> Result<()> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        // Deleting the group rewrites its members' accounts (their version):
        // the tenant first, as an account edit takes it, so the two queue
        // instead of deadlocking.
        db::tenants::lock(&mut tx, tenant_id).await?;
        let group = dbp::get_group(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("group"))?;
        let members = dbp::group_members(&mut tx, tenant_id, group.id).await?;
        if !members.is_empty() && !confirm {
            let names: Vec<&str> = members.iter().map(|m| m.username.as_str()).collect();
            return Err(ApiError::conflict(
                "confirm",
                format!(
                    "The group “{}” has {} member(s): {}. Confirm to delete it; they lose what it grants.",
                    group.name,
                    members.len(),
                    names.join(", ")
                ),
            )
            .into());
        }
        dbp::delete_group(&mut tx, tenant_id, group.id).await?;
        audit::record(
            &mut tx,
            audit::Event::by(
                admin,
                Action::GroupDeleted,
                Target::of("group", group.id, &group.name),
                json!({
                    "before": { "name": group.name, "description": group.description },
                    "members": members.iter().map(|m| &m.username).collect::<Vec<_>>(),
                }),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
