//! Concurrent-seat licensing. The rule: a tenant never has more live sessions
//! than seats. It is enforced inside Postgres, under the tenant row's lock, in
//! the transaction that inserts the session — never in process memory, since
//! many server instances answer at once.

use super::auth::AdminCaller;
use super::Services;
use crate::db::{self, tenants::TenantRow};
use crate::error::Result;
use app::model::{AccountId, LicenseInfo, SeatHolder};
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub enum SeatDecision {
    /// A seat is free; the caller inserts the session before committing.
    Granted(TenantRow),
    /// Every seat is held: "the most recent connection is dropped".
    Full(TenantRow),
}

/// Locks the tenant, frees seats whose lease ran out, and decides. Must run
/// inside the transaction that will insert the session.
pub async fn take_seat(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    now: OffsetDateTime,
) -> Result<SeatDecision> {
    let tenant = db::tenants::lock(tx, tenant_id).await?;
    db::sessions::reclaim_expired(tx, tenant_id, now, tenant.idle_lease_seconds).await?;
    db::sessions::end_expired_accounts(tx, tenant_id, now).await?;
    let open = db::sessions::count_open(tx, tenant_id).await?;
    Ok(if open < i64::from(tenant.seat_limit) {
        SeatDecision::Granted(tenant)
    } else {
        SeatDecision::Full(tenant)
    })
}

impl Services {
    pub async fn license(&self, admin: &AdminCaller) -> Result<LicenseInfo> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        let tenant_id = admin.tenant_id.as_uuid();
        let tenant = db::tenants::by_id(&mut conn, tenant_id)
            .await?
            .ok_or_else(app::model::ApiError::unauthenticated)?;
        let holders =
            db::sessions::holders(&mut conn, tenant_id, self.now(), tenant.idle_lease_seconds)
                .await?;
        Ok(LicenseInfo {
            tenant_name: tenant.name,
            seats_owned: u32::try_from(tenant.seat_limit).unwrap_or(0),
            seats_in_use: u32::try_from(holders.len()).unwrap_or(u32::MAX),
            idle_lease_seconds: u32::try_from(tenant.idle_lease_seconds).unwrap_or(0),
            holders: holders
                .into_iter()
                .map(|h| SeatHolder {
                    account_id: AccountId::from_uuid(h.account_id),
                    full_name: format!("{} {}", h.first_name, h.last_name),
                    username: h.username,
                    since: h.since,
                    last_seen: h.last_seen,
                })
                .collect(),
        })
    }
}
