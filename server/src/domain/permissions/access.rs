//! The access API: may an account see a column of a form, and its whole
//! effective matrix, resolved by the shared rule (person over group over
//! tenant default; among groups Deny beats Allow).

use super::catalogue::{catalogue_of, live};
use super::invalid;
use crate::db::{self, permissions as dbp, Scope};
use crate::domain::api_tokens::AccessCaller;
use crate::domain::Services;
use crate::error::Result;
use app::model::permissions::{
    resolve, AccessAnswer, AccessQuestion, ColumnId, Decision, EffectiveColumn, EffectiveForm,
    EffectiveMatrix, FormColumn, Setting,
};
use app::model::{text, ApiError, ErrorCode, Username};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// An account's cells at person level and from its groups.
pub(super) struct AccountCells {
    person: HashMap<Uuid, bool>,
    groups: HashMap<Uuid, Vec<(String, Setting)>>,
}

pub(super) async fn account_cells(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<AccountCells> {
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
    pub(super) fn person(&self, column: ColumnId) -> Setting {
        Setting::from_row(self.person.get(&column.as_uuid()).copied())
    }

    pub(super) fn decide(&self, c: &FormColumn) -> Decision {
        let groups: Vec<(&str, Setting)> = self
            .groups
            .get(&c.id.as_uuid())
            .map(|v| v.iter().map(|(n, s)| (n.as_str(), *s)).collect())
            .unwrap_or_default();
        resolve(c.default_allowed, &groups, self.person(c.id))
    }
}

pub(super) fn tenant_decision(c: &FormColumn) -> Decision {
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

impl Services {
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
}
