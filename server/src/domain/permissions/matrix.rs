//! The permission matrix of one level (tenant default, group, person) and
//! changing its cells.

use super::access::{account_cells, tenant_decision};
use super::catalogue::{catalogue_of, live};
use super::invalid;
use crate::db::{self, permissions as dbp};
use crate::domain::audit::{self, Action, Target};
use crate::domain::caller::AdminCaller;
use crate::domain::Services;
use crate::error::Result;
use app::model::permissions::{
    CellChange, ColumnId, Decision, FormColumn, Level, Matrix, MatrixCell, MatrixForm,
    SetPermissionsRequest, Setting, MAX_CELLS_PER_CHANGE,
};
use app::model::ApiError;
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

impl Services {
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
}

/// The matrix of one level over the live catalogue.
pub async fn matrix(conn: &mut PgConnection, tenant_id: Uuid, level: Level) -> Result<Matrix> {
    let forms = live(catalogue_of(conn, tenant_id).await?);
    // Every live column with what this level sets and what results.
    let over = |cell: &dyn Fn(&FormColumn) -> (Setting, Decision)| -> Vec<MatrixForm> {
        forms
            .iter()
            .map(|f| MatrixForm {
                id: f.id,
                name: f.name.clone(),
                columns: f
                    .columns
                    .iter()
                    .map(|c| {
                        let (setting, effective) = cell(c);
                        MatrixCell {
                            column: c.id,
                            name: c.name.clone(),
                            setting,
                            effective,
                        }
                    })
                    .collect(),
            })
            .collect()
    };
    let forms = match level {
        Level::Tenant => over(&|c| {
            let s = if c.default_allowed {
                Setting::Allow
            } else {
                Setting::Deny
            };
            (s, tenant_decision(c))
        }),
        Level::Group(g) => {
            dbp::get_group(conn, tenant_id, g.as_uuid())
                .await?
                .ok_or_else(|| ApiError::not_found("group"))?;
            let set: HashMap<Uuid, bool> = dbp::group_cells(conn, g.as_uuid())
                .await?
                .into_iter()
                .collect();
            over(&|c| {
                let s = Setting::from_row(set.get(&c.id.as_uuid()).copied());
                (s, tenant_decision(c))
            })
        }
        Level::Account(a) => {
            db::accounts::get(conn, tenant_id, a.as_uuid())
                .await?
                .ok_or_else(|| ApiError::not_found("account"))?;
            let cells = account_cells(conn, a.as_uuid()).await?;
            over(&|c| (cells.person(c.id), cells.decide(c)))
        }
    };
    Ok(Matrix { level, forms })
}
