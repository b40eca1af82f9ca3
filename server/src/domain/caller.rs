//! Who acts: a signed-in [`Caller`], the [`AdminCaller`] capability that
//! administrator operations take, a platform [`Operator`], and how each is
//! named in the audit trail ([`Actor`], [`Origin`]). Also the calendar rules
//! every service shares (an account's expiry date).

use super::tenant::parse_policy;
use crate::db::{self, Scope};
use crate::error::Result;
use crate::zone::Zone;
use app::api::port::RequestMeta;
use app::model::{AccountId, AccountType, ApiError, Role, SessionInfo, TenantId};
use uuid::Uuid;

/// Who did it.
#[derive(Debug, Clone)]
pub enum Actor {
    Account {
        id: Uuid,
        username: String,
    },
    /// A platform operator using the CLI.
    Operator {
        name: String,
    },
    /// Nobody signed in yet (a sign-in attempt).
    Anonymous {
        claimed: String,
    },
}

/// Where the request came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A signed-in caller: proof that the request carried a live session.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session_id: Uuid,
    pub tenant_id: TenantId,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub idle_lease_seconds: u32,
    pub account_id: AccountId,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    /// The session may only set a new password.
    pub password_change_required: bool,
    /// An Active Directory account: its password is not Rollcall's.
    pub directory_account: bool,
    /// The organisation's time zone: its dates and its clock.
    pub zone: Zone,
    pub origin: Origin,
    /// How the audit trail names this caller.
    actor: Actor,
}

impl Caller {
    pub(super) fn from_row(
        row: db::sessions::SessionContextRow,
        origin: Origin,
        now: time::OffsetDateTime,
    ) -> Result<Caller> {
        let policy = parse_policy(row.password_policy)?;
        let actor = Actor::Account {
            id: row.account_id,
            username: row.username.clone(),
        };
        Ok(Caller {
            password_change_required: policy.change_due(
                row.must_change_password,
                row.rotate_password,
                row.password_changed_at,
                now,
            ),
            session_id: row.session_id,
            tenant_id: TenantId::from_uuid(row.tenant_id),
            tenant_slug: row.tenant_slug,
            tenant_name: row.tenant_name,
            idle_lease_seconds: u32::try_from(row.idle_lease_seconds).unwrap_or(0),
            account_id: AccountId::from_uuid(row.account_id),
            username: row.username,
            first_name: row.first_name,
            last_name: row.last_name,
            role: Role::parse(&row.role).map_err(|_| ApiError::internal())?,
            directory_account: row.account_type == AccountType::Directory.as_str(),
            zone: Zone::stored(&row.time_zone),
            origin,
            actor,
        })
    }

    /// How the audit trail names this caller: their account.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The only way to an [`AdminCaller`]: administrator operations take one,
    /// so a forgotten role check does not compile.
    pub fn into_admin(self) -> Result<AdminCaller, ApiError> {
        match self.role {
            Role::Administrator => Ok(AdminCaller(self)),
            Role::User => Err(ApiError::forbidden()),
        }
    }

    pub fn session_info(&self, heartbeat_seconds: u32) -> SessionInfo {
        SessionInfo {
            tenant_slug: self.tenant_slug.clone(),
            tenant_name: self.tenant_name.clone(),
            account_id: self.account_id,
            username: self.username.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            role: self.role,
            heartbeat_seconds,
            idle_lease_seconds: self.idle_lease_seconds,
            password_change_required: self.password_change_required,
            directory_account: self.directory_account,
            time_zone: self.zone.name().to_owned(),
        }
    }

    /// Today's date in the organisation's time zone.
    pub fn today(&self, now: time::OffsetDateTime) -> time::Date {
        today(now, &self.zone)
    }

    /// [`is_expired`] in the organisation's time zone.
    pub fn is_expired(&self, expires_on: Option<time::Date>, now: time::OffsetDateTime) -> bool {
        is_expired(expires_on, now, &self.zone)
    }
}

/// A caller proven to be an administrator of `tenant_id`.
#[derive(Debug, Clone)]
pub struct AdminCaller(Caller);

impl Caller {
    /// The row-level security scope of everything this caller does: their
    /// own tenant.
    pub fn scope(&self) -> Scope<'static> {
        Scope::Tenant(self.tenant_id.as_uuid())
    }
}

impl std::ops::Deref for AdminCaller {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

/// An account is deactivated from 00:00 of its expiry date in the
/// organisation's time zone (vendor page: it "deactivates when the date is
/// reached"; the zone is issue #27's).
pub fn is_expired(expires_on: Option<time::Date>, now: time::OffsetDateTime, zone: &Zone) -> bool {
    expires_on.is_some_and(|d| d <= today(now, zone))
}

/// The calendar date of `now` in `zone`.
pub fn today(now: time::OffsetDateTime, zone: &Zone) -> time::Date {
    zone.date_of(now)
}

pub fn origin(meta: &RequestMeta) -> Origin {
    Origin {
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
    }
}

/// A platform operator using the CLI (or the Lambda `operator` event).
pub struct Operator {
    pub name: String,
}

impl Operator {
    /// `ROLLCALL_OPERATOR`, else the login name, else "operator".
    pub fn from_env() -> Self {
        let name = ["ROLLCALL_OPERATOR", "USER", "LOGNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| "operator".to_owned());
        Self { name }
    }

    /// An operator named in the audit trail as `name` (the Lambda
    /// `operator` event's `"operator"`).
    pub fn named(name: &str) -> Self {
        let name = name.trim();
        Self {
            name: if name.is_empty() { "operator" } else { name }.to_owned(),
        }
    }

    pub(crate) fn actor(&self) -> Actor {
        Actor::Operator {
            name: self.name.clone(),
        }
    }
}
