//! Groups, the forms catalogue, the permission matrix at three levels and
//! the access API. The resolution rule lives in `app::model::permissions`
//! (shared with the browser); this module loads the cells and applies it.

use super::audit::{self, Action, Target};
use super::caller::AdminCaller;
use super::text_keys::name_taken;
use super::Services;
use crate::crypto;
use crate::db::text_keys::Named;
use crate::db::{self, permissions as dbp, Scope};
use crate::error::{check_version, stale_unless, unique_violation, Error, Result};
use app::api::port::RequestMeta;
use app::model::permissions::{
    parse_description, parse_name, required_version, resolve, AccessAnswer, AccessQuestion,
    AffectedAccount, ApiToken, CellChange, ColumnId, CreatedApiToken, Decision, EffectiveColumn,
    EffectiveForm, EffectiveMatrix, Form, FormColumn, FormId, Group, GroupId, Level, Matrix,
    MatrixCell, MatrixForm, SaveColumnRequest, SaveFormRequest, SaveGroupRequest,
    SetPermissionsRequest, Setting, MAX_CELLS_PER_CHANGE,
};
use app::model::Secret;
use app::model::{text, AccountId, ApiError, ErrorCode, Username};
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Proof that the caller may read a tenant's permissions: an administrator's
/// session or one of the tenant's API tokens.
#[derive(Debug, Clone)]
pub struct AccessCaller {
    pub tenant_id: Uuid,
}

/// Refreshes a token's "last used" at most this often (a check stays a read).
const TOKEN_TOUCH_SECONDS: i64 = 60;

fn invalid(field: &str, message: impl Into<String>) -> Error {
    ApiError::validation(field, message).into()
}

fn group_from(r: dbp::GroupRow) -> Group {
    Group {
        id: GroupId::from_uuid(r.id),
        name: r.name,
        description: r.description,
        member_count: u32::try_from(r.member_count).unwrap_or(u32::MAX),
        version: r.version,
    }
}

/// The tenant's forms with their columns (retired ones included).
async fn catalogue_of(conn: &mut PgConnection, tenant_id: Uuid) -> Result<Vec<Form>> {
    let forms = dbp::list_forms(conn, tenant_id).await?;
    let mut columns: HashMap<Uuid, Vec<FormColumn>> = HashMap::new();
    for c in dbp::list_columns(conn, tenant_id).await? {
        columns.entry(c.form_id).or_default().push(FormColumn {
            id: ColumnId::from_uuid(c.id),
            name: c.name,
            default_allowed: c.default_allowed,
            retired: c.retired_at.is_some(),
            version: c.version,
        });
    }
    Ok(forms
        .into_iter()
        .map(|f| Form {
            id: FormId::from_uuid(f.id),
            columns: columns.remove(&f.id).unwrap_or_default(),
            name: f.name,
            retired: f.retired_at.is_some(),
            version: f.version,
        })
        .collect())
}

/// The live part of the catalogue: forms and columns not retired.
fn live(forms: Vec<Form>) -> Vec<Form> {
    forms
        .into_iter()
        .filter(|f| !f.retired)
        .map(|mut f| {
            f.columns.retain(|c| !c.retired);
            f
        })
        .collect()
}

/// An account's cells at person level and from its groups.
struct AccountCells {
    person: HashMap<Uuid, bool>,
    groups: HashMap<Uuid, Vec<(String, Setting)>>,
}

async fn account_cells(conn: &mut PgConnection, account_id: Uuid) -> Result<AccountCells> {
    let person = dbp::account_cells(conn, account_id)
        .await?
        .into_iter()
        .collect();
    let mut groups: HashMap<Uuid, Vec<(String, Setting)>> = HashMap::new();
    for (column, name, allowed) in dbp::account_group_cells(conn, account_id).await? {
        groups
            .entry(column)
            .or_default()
            .push((name, Setting::from_row(Some(allowed))));
    }
    Ok(AccountCells { person, groups })
}

impl AccountCells {
    fn person(&self, column: ColumnId) -> Setting {
        Setting::from_row(self.person.get(&column.as_uuid()).copied())
    }

    fn decide(&self, c: &FormColumn) -> Decision {
        let groups: Vec<(&str, Setting)> = self
            .groups
            .get(&c.id.as_uuid())
            .map(|v| v.iter().map(|(n, s)| (n.as_str(), *s)).collect())
            .unwrap_or_default();
        resolve(c.default_allowed, &groups, self.person(c.id))
    }
}

fn tenant_decision(c: &FormColumn) -> Decision {
    resolve(c.default_allowed, &[], Setting::Inherit)
}

/// The account of the tenant with this username.
async fn account_by_username(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username: &str,
) -> Result<(Uuid, String)> {
    let key = Username::lookup(username)
        .map_err(|m| invalid("username", m))?
        .folded();
    let found = db::accounts::for_login(conn, tenant_id, &key)
        .await?
        .ok_or_else(|| no_account(username))?;
    Ok((found.account.id, found.account.username))
}

fn no_account(username: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!(
            "There is no account “{}” in this organisation.",
            username.trim()
        ),
    )
}

/// The demo catalogue and starting groups of a new tenant: (form, columns
/// with their tenant default).
const DEMO_FORMS: &[(&str, &[&str])] = &[
    (
        "Timesheet",
        &[
            "Date",
            "Client",
            "Matter",
            "Hours",
            "Rate",
            "Amount",
            "Narrative",
            "Billable",
        ],
    ),
    (
        "Expenses",
        &[
            "Date",
            "Client",
            "Matter",
            "Category",
            "Amount",
            "Receipt",
            "Approved by",
        ],
    ),
    (
        "Matters",
        &[
            "Matter number",
            "Client",
            "Title",
            "Responsible partner",
            "Status",
            "Opened",
            "Closed",
            "Budget",
        ],
    ),
    (
        "Clients",
        &[
            "Client name",
            "Contact",
            "Email",
            "Phone",
            "Address",
            "Billing terms",
        ],
    ),
    (
        "Invoices",
        &[
            "Invoice number",
            "Client",
            "Matter",
            "Issued",
            "Due",
            "Amount",
            "Paid",
            "Balance",
        ],
    ),
    (
        "Staff directory",
        &["Name", "Role", "Office", "Phone", "Email"],
    ),
];

/// Which demo cells each starting group sets: (group, description, rule).
type GroupRule = fn(&str, &str) -> Setting;
const DEMO_GROUPS: &[(&str, &str, GroupRule)] = &[
    ("Admin", "Every column of every form.", |_, _| {
        Setting::Allow
    }),
    (
        "Editor",
        "Records time and expenses and works on matters; no invoices.",
        |form, column| match form {
            "Timesheet" | "Expenses" | "Matters" => Setting::Allow,
            "Clients" if column != "Billing terms" => Setting::Allow,
            "Invoices" => Setting::Deny,
            _ => Setting::Inherit,
        },
    ),
    (
        "View Only",
        "Reads matters and clients; never rates or amounts.",
        |form, column| match (form, column) {
            ("Matters", "Budget") => Setting::Deny,
            ("Matters", _) | ("Clients", "Client name" | "Contact") => Setting::Allow,
            ("Timesheet" | "Expenses" | "Invoices", "Rate" | "Amount" | "Balance") => Setting::Deny,
            _ => Setting::Inherit,
        },
    ),
];

/// Seeds a new tenant's demo catalogue and starting groups.
pub async fn seed_tenant(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    now: OffsetDateTime,
) -> Result<()> {
    let mut cells: Vec<(&str, &str, Uuid)> = Vec::new();
    for (form, columns) in DEMO_FORMS {
        let form_id = dbp::insert_form(tx, tenant_id, form, now).await?;
        for column in *columns {
            // Everyone may read the staff directory; the rest is granted.
            let default_allowed = *form == "Staff directory";
            let id =
                dbp::insert_column(tx, tenant_id, form_id, column, default_allowed, now).await?;
            cells.push((form, column, id));
        }
    }
    for (name, description, rule) in DEMO_GROUPS {
        let group = dbp::insert_group(tx, tenant_id, name, description, now).await?;
        for (form, column, id) in &cells {
            if let Some(allowed) = rule(form, column).as_row() {
                dbp::set_group_cell(tx, tenant_id, group, *id, Some(allowed)).await?;
            }
        }
    }
    Ok(())
}

/// Gives every tenant created before groups and forms existed the start a
/// new tenant gets (the three groups and the demo catalogue). `server
/// migrate` runs it after the migrations. A tenant with any form or group is
/// left alone, so running it again, or twice at once, changes nothing more.
/// Answers the slugs it seeded.
pub async fn seed_existing_tenants(
    pool: &sqlx::PgPool,
    now: OffsetDateTime,
) -> Result<Vec<String>> {
    let candidates = {
        // `server migrate` looks across tenants for those still unseeded.
        let mut conn = db::begin(pool, Scope::EveryTenant).await?;
        dbp::unseeded_tenants(&mut conn).await?
    };
    let mut seeded = Vec::new();
    for (tenant_id, slug) in candidates {
        let mut tx = db::begin(pool, Scope::Tenant(tenant_id)).await?;
        if dbp::lock_if_unseeded(&mut tx, tenant_id).await? == Some(true) {
            seed_tenant(&mut tx, tenant_id, now).await?;
            tx.commit().await?;
            seeded.push(slug);
        }
    }
    Ok(seeded)
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
    /// An administrator's session, or `Authorization: Bearer <API token>`.
    pub async fn access_caller(&self, meta: &RequestMeta) -> Result<AccessCaller> {
        if let Some(secret) = meta.bearer_token.as_ref().map(Secret::expose) {
            let now = self.now();
            let hash = crypto::token_hash(secret);
            let mut tx = db::begin(&self.pool, Scope::ApiToken(&hash)).await?;
            let token = dbp::live_token(&mut tx, &hash)
                .await?
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Unauthenticated,
                        "This API token is not valid or was revoked. Ask an administrator for a new one.",
                    )
                })?;
            if token
                .last_used_at
                .is_none_or(|t| (now - t).whole_seconds() >= TOKEN_TOUCH_SECONDS)
            {
                dbp::touch_token(&mut tx, token.id, now).await?;
                tx.commit().await?;
            }
            return Ok(AccessCaller {
                tenant_id: token.tenant_id,
            });
        }
        let admin = self.require_admin(meta).await?;
        Ok(AccessCaller {
            tenant_id: admin.tenant_id.as_uuid(),
        })
    }

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
            audit::Event::by(
                admin,
                action,
                Some(Target {
                    kind: "group",
                    id: Some(id),
                    label: &name,
                }),
                details,
                now,
            ),
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
                Some(Target {
                    kind: "group",
                    id: Some(group.id),
                    label: &group.name,
                }),
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

    /// A tenant's catalogue, for the operator CLI.
    pub async fn operator_catalogue(&self, tenant_slug: &str) -> Result<Vec<Form>> {
        let tenant = self.find_tenant(tenant_slug).await?;
        let mut conn = db::begin(&self.pool, Scope::Tenant(tenant.id)).await?;
        catalogue_of(&mut conn, tenant.id).await
    }

    /// The whole catalogue, retired forms and columns included.
    pub async fn catalogue(&self, admin: &AdminCaller) -> Result<Vec<Form>> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        catalogue_of(&mut conn, admin.tenant_id.as_uuid()).await
    }

    /// Adds a form or renames one; answers the catalogue.
    pub async fn save_form(&self, admin: &AdminCaller, req: &SaveFormRequest) -> Result<Vec<Form>> {
        let name = parse_name("form", &req.name).map_err(|m| invalid("name", m))?;
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let (saved, action, details) = match req.id {
            None => (
                dbp::insert_form(&mut tx, tenant_id, &name, now)
                    .await
                    .map_err(Error::from),
                Action::FormCreated,
                json!({ "after": { "name": name } }),
            ),
            Some(id) => {
                let before = dbp::get_form(&mut tx, tenant_id, id.as_uuid())
                    .await?
                    .ok_or_else(|| ApiError::not_found("form"))?;
                let version = required_version(req.version)?;
                check_version(
                    "form",
                    version,
                    before.version,
                    || json!({ "id": before.id, "name": before.name, "retired": before.retired_at.is_some(), "version": before.version }),
                )?;
                (
                    dbp::rename_form(&mut tx, tenant_id, (before.id, version), &name)
                        .await
                        .map_err(Error::from)
                        .and_then(|done| stale_unless(done, "form", before.id)),
                    Action::FormRenamed,
                    json!({ "changes": { "name": { "before": before.name, "after": name } } }),
                )
            }
        };
        let id = match saved {
            Err(e) if unique_violation(&e) == Some("forms_name_key") => {
                // The failed statement ended the transaction's use: free its
                // connection before asking on another.
                drop(tx);
                return Err(name_taken(&self.pool, tenant_id, Named::Forms, None, &name).await);
            }
            other => other?,
        };
        self.audit_catalogue(&mut tx, admin, action, "form", id, &name, details, now)
            .await?;
        let all = catalogue_of(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Retires a form (its cells stay, unused) or brings it back.
    pub async fn retire_form(
        &self,
        admin: &AdminCaller,
        id: FormId,
        retired: bool,
    ) -> Result<Vec<Form>> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let form = dbp::get_form(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("form"))?;
        if form.retired_at.is_some() != retired {
            dbp::set_form_retired(&mut tx, tenant_id, form.id, retired.then_some(now)).await?;
            let action = if retired {
                Action::FormRetired
            } else {
                Action::FormRestored
            };
            self.audit_catalogue(
                &mut tx,
                admin,
                action,
                "form",
                form.id,
                &form.name,
                json!({}),
                now,
            )
            .await?;
        }
        let all = catalogue_of(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// Adds a column to a form (tenant default Deny) or renames one.
    pub async fn save_column(
        &self,
        admin: &AdminCaller,
        req: &SaveColumnRequest,
    ) -> Result<Vec<Form>> {
        let name = parse_name("column", &req.name).map_err(|m| invalid("name", m))?;
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let form = dbp::get_form(&mut tx, tenant_id, req.form.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("form"))?;
        let label = format!("{} / {name}", form.name);
        let (saved, action, details) = match req.id {
            None => (
                dbp::insert_column(&mut tx, tenant_id, form.id, &name, false, now)
                    .await
                    .map_err(Error::from),
                Action::ColumnCreated,
                json!({ "after": { "form": form.name, "name": name } }),
            ),
            Some(id) => {
                let before = dbp::get_column(&mut tx, tenant_id, id.as_uuid())
                    .await?
                    .filter(|c| c.form_id == form.id)
                    .ok_or_else(|| ApiError::not_found("column"))?;
                let version = required_version(req.version)?;
                check_version(
                    "column",
                    version,
                    before.version,
                    || json!({ "id": before.id, "name": before.name, "default_allowed": before.default_allowed, "retired": before.retired_at.is_some(), "version": before.version }),
                )?;
                (
                    dbp::rename_column(&mut tx, tenant_id, (before.id, version), &name)
                        .await
                        .map_err(Error::from)
                        .and_then(|done| stale_unless(done, "column", before.id)),
                    Action::ColumnRenamed,
                    json!({ "form": form.name, "changes": { "name": { "before": before.name, "after": name } } }),
                )
            }
        };
        let id = match saved {
            Err(e) if unique_violation(&e) == Some("form_columns_name_key") => {
                // The failed statement ended the transaction's use: free its
                // connection before asking on another.
                drop(tx);
                let form = Some((form.id, form.name.as_str()));
                return Err(
                    name_taken(&self.pool, tenant_id, Named::FormColumns, form, &name).await,
                );
            }
            other => other?,
        };
        self.audit_catalogue(&mut tx, admin, action, "column", id, &label, details, now)
            .await?;
        let all = catalogue_of(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(all)
    }

    pub async fn retire_column(
        &self,
        admin: &AdminCaller,
        id: ColumnId,
        retired: bool,
    ) -> Result<Vec<Form>> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let column = dbp::get_column(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("column"))?;
        if column.retired_at.is_some() != retired {
            dbp::set_column_retired(&mut tx, tenant_id, column.id, retired.then_some(now)).await?;
            let form = dbp::get_form(&mut tx, tenant_id, column.form_id)
                .await?
                .ok_or_else(ApiError::internal)?;
            let action = if retired {
                Action::ColumnRetired
            } else {
                Action::ColumnRestored
            };
            let label = format!("{} / {}", form.name, column.name);
            self.audit_catalogue(
                &mut tx,
                admin,
                action,
                "column",
                column.id,
                &label,
                json!({}),
                now,
            )
            .await?;
        }
        let all = catalogue_of(&mut tx, tenant_id).await?;
        tx.commit().await?;
        Ok(all)
    }

    #[allow(clippy::too_many_arguments)]
    async fn audit_catalogue(
        &self,
        tx: &mut PgConnection,
        admin: &AdminCaller,
        action: Action,
        kind: &'static str,
        id: Uuid,
        label: &str,
        details: serde_json::Value,
        now: OffsetDateTime,
    ) -> Result<()> {
        audit::record(
            tx,
            audit::Event::by(
                admin,
                action,
                Some(Target {
                    kind,
                    id: Some(id),
                    label,
                }),
                details,
                now,
            ),
        )
        .await?;
        Ok(())
    }

    /// The matrix of one level: every live form and column with the
    /// level's setting and what it gives.
    pub async fn permission_matrix(&self, admin: &AdminCaller, level: Level) -> Result<Matrix> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        matrix(&mut conn, admin.tenant_id.as_uuid(), level).await
    }

    /// Changes cells of one level in one transaction; audited with each
    /// changed cell before and after.
    pub async fn set_permissions(
        &self,
        admin: &AdminCaller,
        req: &SetPermissionsRequest,
    ) -> Result<Matrix> {
        if req.cells.is_empty() {
            return Err(invalid("cells", "Choose at least one cell to change."));
        }
        if req.cells.len() > MAX_CELLS_PER_CHANGE {
            return Err(invalid(
                "cells",
                format!("At most {MAX_CELLS_PER_CHANGE} cells can change at once."),
            ));
        }
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let before = matrix(&mut tx, tenant_id, req.level).await?;
        let cells: HashMap<ColumnId, (&str, &str, Setting)> = before
            .forms
            .iter()
            .flat_map(|f| {
                f.columns
                    .iter()
                    .map(move |c| (c.column, (f.name.as_str(), c.name.as_str(), c.setting)))
            })
            .collect();
        let (label, kind, target_id) = match req.level {
            Level::Tenant => ("tenant default".to_owned(), "tenant", Some(tenant_id)),
            Level::Group(g) => {
                // Deleted since the cells were written: nothing is kept.
                let group = dbp::get_group(&mut tx, tenant_id, g.as_uuid())
                    .await?
                    .ok_or_else(|| ApiError::not_found("group"))?;
                (group.name, "group", Some(group.id))
            }
            Level::Account(a) => {
                let account = db::accounts::get(&mut tx, tenant_id, a.as_uuid())
                    .await?
                    .ok_or_else(|| ApiError::not_found("account"))?;
                (account.username, "account", Some(account.id))
            }
        };
        let mut changed = Vec::new();
        for CellChange { column, setting } in &req.cells {
            let Some((form, name, was)) = cells.get(column) else {
                return Err(ApiError::not_found("column").into());
            };
            if matches!(req.level, Level::Tenant) && *setting == Setting::Inherit {
                return Err(invalid(
                    "cells",
                    "The tenant default is Allow or Deny: there is no level above it to inherit from.",
                ));
            }
            if was == setting {
                continue;
            }
            let c = column.as_uuid();
            match req.level {
                Level::Tenant => {
                    dbp::set_column_default(&mut tx, tenant_id, c, *setting == Setting::Allow)
                        .await?
                }
                Level::Group(g) => {
                    dbp::set_group_cell(&mut tx, tenant_id, g.as_uuid(), c, setting.as_row())
                        .await?
                }
                Level::Account(a) => {
                    dbp::set_account_cell(&mut tx, tenant_id, a.as_uuid(), c, setting.as_row())
                        .await?
                }
            }
            changed.push(json!({
                "form": form, "column": name,
                "before": was.as_str(), "after": setting.as_str(),
            }));
        }
        if !changed.is_empty() {
            audit::record(
                &mut tx,
                audit::Event::by(
                    admin,
                    Action::PermissionsChanged,
                    Some(Target {
                        kind,
                        id: target_id,
                        label: &label,
                    }),
                    json!({ "cells": changed }),
                    now,
                ),
            )
            .await?;
        }
        let after = matrix(&mut tx, tenant_id, req.level).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// "May this account see this column of this form?" and which level
    /// decided. Names as in the catalogue, in any case.
    pub async fn check_access(
        &self,
        caller: &AccessCaller,
        q: &AccessQuestion,
    ) -> Result<AccessAnswer> {
        let form = text::fold(q.form.trim());
        let column = text::fold(q.column.trim());
        if form.is_empty() {
            return Err(invalid("form", "Name the form."));
        }
        if column.is_empty() {
            return Err(invalid("column", "Name the column."));
        }
        let username_key = Username::lookup(&q.username)
            .map_err(|m| invalid("username", m))?
            .folded();
        let mut conn = db::begin(&self.pool, Scope::Tenant(caller.tenant_id)).await?;
        let row = dbp::check(&mut conn, caller.tenant_id, &username_key, &form, &column)
            .await?
            .ok_or_else(|| no_account(&q.username))?;
        let (Some(form_name), Some(column_name), Some(default_allowed)) =
            (row.form, row.column, row.default_allowed)
        else {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!(
                    "The catalogue has no live column “{}” in a form “{}”.",
                    q.column.trim(),
                    q.form.trim()
                ),
            )
            .into());
        };
        let mut groups: Vec<(&str, Setting)> = Vec::new();
        if let Some(g) = row.deny_group.as_deref() {
            groups.push((g, Setting::Deny));
        }
        if let Some(g) = row.allow_group.as_deref() {
            groups.push((g, Setting::Allow));
        }
        let decision = resolve(default_allowed, &groups, Setting::from_row(row.person));
        Ok(AccessAnswer {
            username: row.username,
            form: form_name,
            column: column_name,
            explanation: decision.describe(),
            decision,
        })
    }

    /// An account's whole effective matrix (live forms and columns).
    pub async fn effective_matrix(
        &self,
        caller: &AccessCaller,
        username: &str,
    ) -> Result<EffectiveMatrix> {
        let mut conn = db::begin(&self.pool, Scope::Tenant(caller.tenant_id)).await?;
        let (account_id, username) =
            account_by_username(&mut conn, caller.tenant_id, username).await?;
        let forms = live(catalogue_of(&mut conn, caller.tenant_id).await?);
        let cells = account_cells(&mut conn, account_id).await?;
        Ok(EffectiveMatrix {
            username,
            forms: forms
                .into_iter()
                .map(|f| EffectiveForm {
                    columns: f
                        .columns
                        .iter()
                        .map(|c| EffectiveColumn {
                            column: c.name.clone(),
                            decision: cells.decide(c),
                        })
                        .collect(),
                    form: f.name,
                })
                .collect(),
        })
    }

    pub async fn list_api_tokens(&self, admin: &AdminCaller) -> Result<Vec<ApiToken>> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        Ok(dbp::list_tokens(&mut conn, admin.tenant_id.as_uuid())
            .await?
            .into_iter()
            .map(|t| ApiToken {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                created_by: t.created_by,
                last_used_at: t.last_used_at,
                revoked: t.revoked_at.is_some(),
            })
            .collect())
    }

    /// A new API token; its secret is answered once and stored hashed.
    pub async fn create_api_token(
        &self,
        admin: &AdminCaller,
        name: &str,
    ) -> Result<CreatedApiToken> {
        let name = parse_name("token", name).map_err(|m| invalid("name", m))?;
        let (raw, _) = crypto::new_session_token()?;
        let secret = format!("rc_{}", raw.expose());
        let hash = crypto::token_hash(&secret);
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let id = dbp::insert_token(
            &mut tx,
            tenant_id,
            &name,
            &hash,
            admin.account_id.as_uuid(),
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            audit::Event::by(
                admin,
                Action::ApiTokenCreated,
                Some(Target {
                    kind: "api_token",
                    id: Some(id),
                    label: &name,
                }),
                json!({}),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedApiToken {
            token: ApiToken {
                id,
                name,
                created_at: now,
                created_by: Some(admin.username.clone()),
                last_used_at: None,
                revoked: false,
            },
            secret: secret.into(),
        })
    }

    pub async fn revoke_api_token(&self, admin: &AdminCaller, id: Uuid) -> Result<()> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let name = dbp::revoke_token(&mut tx, tenant_id, id, now)
            .await?
            .ok_or_else(|| ApiError::not_found("API token"))?;
        audit::record(
            &mut tx,
            audit::Event::by(
                admin,
                Action::ApiTokenRevoked,
                Some(Target {
                    kind: "api_token",
                    id: Some(id),
                    label: &name,
                }),
                json!({}),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The matrix of one level over the live catalogue.
pub async fn matrix(conn: &mut PgConnection, tenant_id: Uuid, level: Level) -> Result<Matrix> {
    let forms = live(catalogue_of(conn, tenant_id).await?);
    let cell = |c: &FormColumn, setting: Setting, effective: Decision| MatrixCell {
        column: c.id,
        name: c.name.clone(),
        setting,
        effective,
    };
    let build = |f: &Form, columns: Vec<MatrixCell>| MatrixForm {
        id: f.id,
        name: f.name.clone(),
        columns,
    };
    let forms = match level {
        Level::Tenant => forms
            .iter()
            .map(|f| {
                build(
                    f,
                    f.columns
                        .iter()
                        .map(|c| {
                            let s = if c.default_allowed {
                                Setting::Allow
                            } else {
                                Setting::Deny
                            };
                            cell(c, s, tenant_decision(c))
                        })
                        .collect(),
                )
            })
            .collect(),
        Level::Group(g) => {
            dbp::get_group(conn, tenant_id, g.as_uuid())
                .await?
                .ok_or_else(|| ApiError::not_found("group"))?;
            let set: HashMap<Uuid, bool> = dbp::group_cells(conn, g.as_uuid())
                .await?
                .into_iter()
                .collect();
            forms
                .iter()
                .map(|f| {
                    build(
                        f,
                        f.columns
                            .iter()
                            .map(|c| {
                                let s = Setting::from_row(set.get(&c.id.as_uuid()).copied());
                                cell(c, s, tenant_decision(c))
                            })
                            .collect(),
                    )
                })
                .collect()
        }
        Level::Account(a) => {
            db::accounts::get(conn, tenant_id, a.as_uuid())
                .await?
                .ok_or_else(|| ApiError::not_found("account"))?;
            let cells = account_cells(conn, a.as_uuid()).await?;
            forms
                .iter()
                .map(|f| {
                    build(
                        f,
                        f.columns
                            .iter()
                            .map(|c| cell(c, cells.person(c.id), cells.decide(c)))
                            .collect(),
                    )
                })
                .collect()
        }
    };
    Ok(Matrix { level, forms })
}
