//! What a platform operator does from the CLI. Audited with the operator as
//! actor; each command is one transaction, so nothing is half-written.

use super::accounts::create_in_tenant;
use super::audit::{self, Action};
use super::caller::{Operator, Origin};
use super::Services;
use crate::db::{self, accounts::AccountRow, tenants::TenantRow, Scope};
use crate::error::{unique_violation, Error, Result};
use app::model::values::parse_admin_reserve;
use app::model::{parse_seats, ApiError, CreateAccountRequest, TenantName, TenantSlug};
use serde_json::json;

fn invalid(field: &str, message: String) -> Error {
    ApiError::validation(field, message).into()
}

impl Services {
    pub async fn create_tenant(
        &self,
        op: &Operator,
        slug: &str,
        name: &str,
        seats: i64,
    ) -> Result<TenantRow> {
        let slug = TenantSlug::parse(slug).map_err(|m| invalid("slug", m))?;
        let name = TenantName::parse(name).map_err(|m| invalid("name", m))?;
        let seats = parse_seats(seats).map_err(|m| invalid("seats", m))?;
        let now = self.now();
        // A tenant that does not exist yet is no tenant's to scope to: the
        // operator's creation is the one write that spans tenants.
        let mut tx = db::begin(&self.pool, Scope::EveryTenant).await?;
        let tenant = match db::tenants::insert(&mut tx, slug.as_str(), name.as_str(), seats, now)
            .await
            .map_err(Error::from)
        {
            Err(e) if unique_violation(&e) == Some("tenants_slug_key") => {
                return Err(ApiError::conflict(
                    "slug",
                    format!("A tenant with the short name “{slug}” already exists."),
                )
                .into())
            }
            other => other?,
        };
        super::permissions::seed_tenant(&mut tx, tenant.id, now).await?;
        audit::record(
            &mut tx,
            audit::Event::on_tenant(
                (tenant.id, &tenant.slug),
                Action::TenantCreated,
                json!({ "after": { "slug": tenant.slug, "name": tenant.name, "seat_limit": tenant.seat_limit } }),
                &op.actor(),
                &Origin::default(),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(tenant)
    }

    /// Changes the seat count and, when given, the administrator reserve
    /// (else the current one stays, if it still fits). Lowering the seats
    /// ends nobody's session: new sign-ins wait until fewer people than the
    /// new limit are signed in. Errors: `422 validation` naming `seats` or
    /// `admin_reserve` (0, or fewer than the seats); `404` for no tenant.
    pub async fn set_seats(
        &self,
        op: &Operator,
        slug: &str,
        seats: i64,
        admin_reserve: Option<i64>,
    ) -> Result<TenantRow> {
        let seats = parse_seats(seats).map_err(|m| invalid("seats", m))?;
        let found = self.find_tenant(slug).await?;
        let now = self.now();
        let mut tx = db::begin(&self.pool, Scope::Tenant(found.id)).await?;
        let before = db::tenants::lock(&mut tx, found.id).await?;
        let reserve = parse_admin_reserve(
            admin_reserve.unwrap_or(i64::from(before.admin_reserve)),
            seats,
        )
        .map_err(|m| {
            if admin_reserve.is_some() {
                invalid("admin_reserve", m)
            } else {
                invalid(
                    "admin_reserve",
                    format!(
                        "The current administrator reserve ({}) does not fit in {seats} seats: give --admin-reserve too. {m}",
                        before.admin_reserve
                    ),
                )
            }
        })?;
        db::tenants::set_seats(&mut tx, before.id, seats, reserve).await?;
        audit::record(
            &mut tx,
            audit::Event::on_tenant(
                (before.id, &before.slug),
                Action::TenantSeatsChanged,
                json!({
                    "before": { "seat_limit": before.seat_limit, "admin_reserve": before.admin_reserve },
                    "after": { "seat_limit": seats, "admin_reserve": reserve },
                }),
                &op.actor(),
                &Origin::default(),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(TenantRow {
            seat_limit: seats,
            admin_reserve: reserve,
            ..before
        })
    }

    pub async fn operator_create_account(
        &self,
        op: &Operator,
        tenant_slug: &str,
        request: &CreateAccountRequest,
    ) -> Result<AccountRow> {
        let tenant = self.find_tenant(tenant_slug).await?;
        let request = &self.fill_from_directory(tenant.id, request).await?;
        let mut tx = db::begin(&self.pool, Scope::Tenant(tenant.id)).await?;
        let row = create_in_tenant(
            &mut tx,
            &self.settings.public_url,
            tenant.id,
            request,
            &op.actor(),
            &Origin::default(),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }
}
