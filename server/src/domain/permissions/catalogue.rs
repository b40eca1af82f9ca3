//! The forms catalogue: forms and their columns, added, renamed and
//! retired; and the demo catalogue with its starting groups that a new
//! tenant gets.

use super::invalid;
use crate::db::text_keys::Named;
use crate::db::{self, permissions as dbp, Scope};
use crate::domain::audit::{self, Action, Target};
use crate::domain::caller::AdminCaller;
use crate::domain::text_keys::name_taken;
use crate::domain::Services;
use crate::error::{check_version, stale_unless, unique_violation, Error, Result};
use app::model::permissions::{
    parse_name, required_version, ColumnId, Form, FormColumn, FormId, SaveColumnRequest,
    SaveFormRequest, Setting,
};
use app::model::ApiError;
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// The tenant's forms with their columns (retired ones included).
pub(super) async fn catalogue_of(conn: &mut PgConnection, tenant_id: Uuid) -> Result<Vec<Form>> {
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
pub(super) fn live(forms: Vec<Form>) -> Vec<Form> {
    forms
        .into_iter()
        .filter(|f| !f.retired)
        .map(|mut f| {
            f.columns.retain(|c| !c.retired);
            f
        })
        .collect()
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

impl Services {
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
        let change = Change::of(action, "form", id, &name, details);
        commit_catalogue(tx, admin, Some(change), now).await
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
            let change = Change::of(action, "form", form.id, &form.name, json!({}));
            return commit_catalogue(tx, admin, Some(change), now).await;
        }
        commit_catalogue(tx, admin, None, now).await
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
        let change = Change::of(action, "column", id, &label, details);
        commit_catalogue(tx, admin, Some(change), now).await
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
            let change = Change::of(action, "column", column.id, &label, json!({}));
            return commit_catalogue(tx, admin, Some(change), now).await;
        }
        commit_catalogue(tx, admin, None, now).await
    }
}

/// What an administrator changed in the catalogue, for its audit event.
struct Change<'a> {
    action: Action,
    target: Option<Target<'a>>,
    details: serde_json::Value,
}

impl<'a> Change<'a> {
    fn of(
        action: Action,
        kind: &'static str,
        id: Uuid,
        label: &'a str,
        details: serde_json::Value,
    ) -> Self {
        Change {
            action,
            target: Target::of(kind, id, label),
            details,
        }
    }
}

/// Ends a catalogue edit: audits `change` (when something changed), then
/// answers the whole catalogue as committed.
async fn commit_catalogue(
    mut tx: db::Tx,
    admin: &AdminCaller,
    change: Option<Change<'_>>,
    now: OffsetDateTime,
) -> Result<Vec<Form>> {
    if let Some(c) = change {
        let event = audit::Event::by(admin, c.action, c.target, c.details, now);
        audit::record(&mut tx, event).await?;
    }
    let all = catalogue_of(&mut tx, admin.tenant_id.as_uuid()).await?;
    tx.commit().await?;
    Ok(all)
}
