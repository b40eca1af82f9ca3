//! Audit events, written in the same transaction as the change they record.

use crate::db;
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    LoginSucceeded,
    LoginFailed,
    LoginRefusedSeats,
    LoginRefusedInactive,
    Logout,
    AccountCreated,
    AccountUpdated,
    AccountDeactivated,
    AccountReactivated,
    AccountDeleted,
    TenantCreated,
    TenantSeatsChanged,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::LoginSucceeded => "login.succeeded",
            Action::LoginFailed => "login.failed",
            Action::LoginRefusedSeats => "login.refused_seats",
            Action::LoginRefusedInactive => "login.refused_inactive",
            Action::Logout => "logout",
            Action::AccountCreated => "account.created",
            Action::AccountUpdated => "account.updated",
            Action::AccountDeactivated => "account.deactivated",
            Action::AccountReactivated => "account.reactivated",
            Action::AccountDeleted => "account.deleted",
            Action::TenantCreated => "tenant.created",
            Action::TenantSeatsChanged => "tenant.seats_changed",
        }
    }
}

pub struct Target<'a> {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub label: &'a str,
}

pub struct Event<'a> {
    pub tenant_id: Option<Uuid>,
    pub at: OffsetDateTime,
    pub actor: &'a Actor,
    pub action: Action,
    pub target: Option<Target<'a>>,
    /// Changed fields (before/after) and context; never secrets.
    pub details: Value,
    pub origin: &'a Origin,
}

pub async fn record(conn: &mut PgConnection, e: Event<'_>) -> sqlx::Result<()> {
    let (actor_kind, actor_account_id, actor_label) = match e.actor {
        Actor::Account { id, username } => ("account", Some(*id), username.clone()),
        Actor::Operator { name } => ("operator", None, format!("operator:{name}")),
        Actor::Anonymous { claimed } => ("anonymous", None, claimed.clone()),
    };
    db::audit::insert(
        conn,
        db::audit::InsertAuditEvent {
            tenant_id: e.tenant_id,
            occurred_at: e.at,
            actor_kind,
            actor_account_id,
            actor_label: &actor_label,
            action: e.action.as_str(),
            target_kind: e.target.as_ref().map(|t| t.kind),
            target_id: e
                .target
                .as_ref()
                .and_then(|t| t.id.map(|id| id.to_string())),
            target_label: e.target.as_ref().map(|t| t.label),
            details: e.details,
            ip: e.origin.ip.as_deref(),
            user_agent: e.origin.user_agent.as_deref(),
        },
    )
    .await
}
