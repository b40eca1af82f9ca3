//! The accounts list (searched, filtered, sorted and paged on the server)
//! and its CSV export, which takes the same query.

use super::account_summary::summary;
use super::audit::{self, Action};
use super::caller::AdminCaller;
use super::Services;
use crate::db::{
    self,
    accounts::{AccountRow, ListOrder},
};
use crate::error::Result;
use app::model::listing::{
    accounts_csv, AccountFilter, AccountListQuery, AccountPage, AccountSort, ExportRow,
    StatusFilter, EXPORT_MAX,
};
use app::model::{AccountType, ApiError, Role};
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

async fn search_rows(
    conn: &mut PgConnection,
    admin: &AdminCaller,
    filter: &AccountFilter,
    limit: i64,
    offset: i64,
    now: OffsetDateTime,
) -> Result<(Vec<AccountRow>, i64)> {
    let status = filter.status.map(|s| match s {
        StatusFilter::Active => "active",
        StatusFilter::Inactive => "inactive",
        StatusFilter::Expired => "expired",
    });
    let order = match filter.sort {
        AccountSort::Username => ListOrder::Username,
        AccountSort::Name => ListOrder::Name,
        AccountSort::Email => ListOrder::Email,
        AccountSort::Role => ListOrder::Role,
        AccountSort::Status => ListOrder::Status,
        AccountSort::Created => ListOrder::Created,
    };
    Ok(db::accounts::search(
        conn,
        admin.tenant_id.as_uuid(),
        &db::accounts::ListFilter {
            search: filter.search.as_deref(),
            role: filter.role.map(Role::as_str),
            status,
            account_type: filter.account_type.map(AccountType::as_str),
            client: filter.client.map(|c| c.as_uuid()),
            today: admin.today(now),
        },
        order,
        filter.descending,
        limit,
        offset,
    )
    .await?)
}

impl Services {
    /// One page of the tenant's accounts, searched, filtered and sorted in
    /// Postgres.
    pub async fn list_accounts(
        &self,
        admin: &AdminCaller,
        query: &AccountListQuery,
    ) -> Result<AccountPage> {
        let filter = query.validate()?;
        let now = self.now();
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        let (rows, total) = search_rows(
            &mut conn,
            admin,
            &filter,
            i64::from(filter.page_size),
            i64::try_from(filter.offset()).unwrap_or(i64::MAX),
            now,
        )
        .await?;
        Ok(AccountPage {
            accounts: rows
                .iter()
                .map(|r| summary(r, now, &admin.zone))
                .collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
            page: filter.page,
            page_size: filter.page_size,
        })
    }

    /// Every account matching the filters as CSV (refused above
    /// `EXPORT_MAX` rather than cut short). The export is audited.
    pub async fn export_accounts(
        &self,
        admin: &AdminCaller,
        query: &AccountListQuery,
    ) -> Result<String> {
        let filter = query.validate()?;
        let now = self.now();
        let limit = i64::try_from(EXPORT_MAX).unwrap_or(i64::MAX);
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let (rows, total) = search_rows(&mut tx, admin, &filter, limit + 1, 0, now).await?;
        if total > limit {
            return Err(ApiError::validation(
                "search",
                format!(
                    "{total} accounts match: narrow the filters to at most {EXPORT_MAX} to export."
                ),
            )
            .into());
        }
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let by_account = |pairs: Vec<(Uuid, String)>| {
            let mut map: std::collections::HashMap<Uuid, Vec<String>> = Default::default();
            for (id, name) in pairs {
                map.entry(id).or_default().push(name);
            }
            map
        };
        let found = db::accounts::client_and_group_names(&mut tx, &ids).await?;
        let (mut names, mut groups) = (by_account(found.clients), by_account(found.groups));
        let export: Vec<ExportRow> = rows
            .iter()
            .map(|r| {
                Ok(ExportRow {
                    account: summary(r, now, &admin.zone)?,
                    case_access: r.case_access.clone(),
                    must_change_password: r.must_change_password,
                    rotate_password: r.rotate_password,
                    clients: names.remove(&r.id).unwrap_or_default(),
                    groups: groups.remove(&r.id).unwrap_or_default(),
                })
            })
            .collect::<Result<_>>()?;
        audit::record(
            &mut tx,
            audit::Event::by(
                admin,
                Action::AccountsExported,
                None,
                json!({ "rows": export.len(), "query": query }),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(accounts_csv(&export, &|t| admin.zone.rfc3339(t)))
    }
}
