//! The audit trail as the API shows it.

use super::error::ApiError;
use serde::{Deserialize, Serialize};
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// Every kind of audit event, with its stable name and a label for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    LoginSucceeded,
    LoginFailed,
    LoginRefusedSeats,
    LoginRefusedInactive,
    Logout,
    LogoutEverywhere,
    AccountCreated,
    AccountUpdated,
    AccountDeactivated,
    AccountReactivated,
    AccountDeleted,
    TenantCreated,
    TenantSeatsChanged,
    AuditExported,
    LoginRefusedExpired,
    LoginRefusedDirectory,
    LoginThrottled,
    LoginThrottleCleared,
    PasswordChanged,
    PasswordReset,
    ClientCreated,
    ClientRenamed,
    ClientArchived,
    ClientRestored,
    SettingsChanged,
    AccountsExported,
    AccountsImported,
    InvitationSent,
    InvitationResent,
    InvitationRevoked,
    InvitationAccepted,
    PasswordResetRequested,
    PasswordResetCompleted,
    GroupCreated,
    GroupChanged,
    GroupDeleted,
    FormCreated,
    FormRenamed,
    FormRetired,
    FormRestored,
    ColumnCreated,
    ColumnRenamed,
    ColumnRetired,
    ColumnRestored,
    PermissionsChanged,
    ApiTokenCreated,
    ApiTokenRevoked,
    AccountDuplicated,
    DirectoryChanged,
    AccountDirectoryRefreshed,
    SeatSignedOutByAdmin,
    SeatEvicted,
    SeatDeviceLimit,
    PasswordChangeFailed,
    LoginRefusedThrottled,
    AccessDenied,
}

impl AuditAction {
    pub const ALL: [AuditAction; 56] = [
        AuditAction::LoginSucceeded,
        AuditAction::LoginFailed,
        AuditAction::LoginRefusedSeats,
        AuditAction::LoginRefusedInactive,
        AuditAction::Logout,
        AuditAction::LogoutEverywhere,
        AuditAction::AccountCreated,
        AuditAction::AccountUpdated,
        AuditAction::AccountDeactivated,
        AuditAction::AccountReactivated,
        AuditAction::AccountDeleted,
        AuditAction::TenantCreated,
        AuditAction::TenantSeatsChanged,
        AuditAction::AuditExported,
        AuditAction::LoginRefusedExpired,
        AuditAction::LoginRefusedDirectory,
        AuditAction::LoginThrottled,
        AuditAction::LoginThrottleCleared,
        AuditAction::PasswordChanged,
        AuditAction::PasswordReset,
        AuditAction::ClientCreated,
        AuditAction::ClientRenamed,
        AuditAction::ClientArchived,
        AuditAction::ClientRestored,
        AuditAction::SettingsChanged,
        AuditAction::AccountsExported,
        AuditAction::AccountsImported,
        AuditAction::InvitationSent,
        AuditAction::InvitationResent,
        AuditAction::InvitationRevoked,
        AuditAction::InvitationAccepted,
        AuditAction::PasswordResetRequested,
        AuditAction::PasswordResetCompleted,
        AuditAction::GroupCreated,
        AuditAction::GroupChanged,
        AuditAction::GroupDeleted,
        AuditAction::FormCreated,
        AuditAction::FormRenamed,
        AuditAction::FormRetired,
        AuditAction::FormRestored,
        AuditAction::ColumnCreated,
        AuditAction::ColumnRenamed,
        AuditAction::ColumnRetired,
        AuditAction::ColumnRestored,
        AuditAction::PermissionsChanged,
        AuditAction::ApiTokenCreated,
        AuditAction::ApiTokenRevoked,
        AuditAction::AccountDuplicated,
        AuditAction::DirectoryChanged,
        AuditAction::AccountDirectoryRefreshed,
        AuditAction::SeatSignedOutByAdmin,
        AuditAction::SeatEvicted,
        AuditAction::SeatDeviceLimit,
        AuditAction::PasswordChangeFailed,
        AuditAction::LoginRefusedThrottled,
        AuditAction::AccessDenied,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "login.succeeded",
            AuditAction::LoginFailed => "login.failed",
            AuditAction::LoginRefusedSeats => "login.refused_seats",
            AuditAction::LoginRefusedInactive => "login.refused_inactive",
            AuditAction::Logout => "logout",
            AuditAction::LogoutEverywhere => "logout.everywhere",
            AuditAction::AccountCreated => "account.created",
            AuditAction::AccountUpdated => "account.updated",
            AuditAction::AccountDeactivated => "account.deactivated",
            AuditAction::AccountReactivated => "account.reactivated",
            AuditAction::AccountDeleted => "account.deleted",
            AuditAction::TenantCreated => "tenant.created",
            AuditAction::TenantSeatsChanged => "tenant.seats_changed",
            AuditAction::AuditExported => "audit.exported",
            AuditAction::LoginRefusedExpired => "login.refused_expired",
            AuditAction::LoginRefusedDirectory => "login.refused_directory",
            AuditAction::LoginThrottled => "login.throttled",
            AuditAction::LoginThrottleCleared => "login.throttle_cleared",
            AuditAction::PasswordChanged => "password.changed",
            AuditAction::PasswordReset => "password.reset",
            AuditAction::ClientCreated => "client.created",
            AuditAction::ClientRenamed => "client.renamed",
            AuditAction::ClientArchived => "client.archived",
            AuditAction::ClientRestored => "client.restored",
            AuditAction::SettingsChanged => "settings.changed",
            AuditAction::AccountsExported => "accounts.exported",
            AuditAction::AccountsImported => "accounts.imported",
            AuditAction::InvitationSent => "invitation.sent",
            AuditAction::InvitationResent => "invitation.resent",
            AuditAction::InvitationRevoked => "invitation.revoked",
            AuditAction::InvitationAccepted => "invitation.accepted",
            AuditAction::PasswordResetRequested => "password.reset_requested",
            AuditAction::PasswordResetCompleted => "password.reset_completed",
            AuditAction::GroupCreated => "group.created",
            AuditAction::GroupChanged => "group.changed",
            AuditAction::GroupDeleted => "group.deleted",
            AuditAction::FormCreated => "form.created",
            AuditAction::FormRenamed => "form.renamed",
            AuditAction::FormRetired => "form.retired",
            AuditAction::FormRestored => "form.restored",
            AuditAction::ColumnCreated => "column.created",
            AuditAction::ColumnRenamed => "column.renamed",
            AuditAction::ColumnRetired => "column.retired",
            AuditAction::ColumnRestored => "column.restored",
            AuditAction::PermissionsChanged => "permissions.changed",
            AuditAction::ApiTokenCreated => "api_token.created",
            AuditAction::ApiTokenRevoked => "api_token.revoked",
            AuditAction::AccountDuplicated => "account.duplicated",
            AuditAction::DirectoryChanged => "directory.changed",
            AuditAction::AccountDirectoryRefreshed => "account.directory_refreshed",
            AuditAction::SeatSignedOutByAdmin => "seat.signed_out_by_admin",
            AuditAction::SeatEvicted => "seat.evicted",
            AuditAction::SeatDeviceLimit => "seat.device_limit",
            AuditAction::PasswordChangeFailed => "password.change_failed",
            AuditAction::LoginRefusedThrottled => "login.refused_throttled",
            AuditAction::AccessDenied => "access.denied",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AuditAction::LoginSucceeded => "Signed in",
            AuditAction::LoginFailed => "Sign-in failed",
            AuditAction::LoginRefusedSeats => "Sign-in refused: no free seat",
            AuditAction::LoginRefusedInactive => "Sign-in refused: account inactive",
            AuditAction::Logout => "Signed out",
            AuditAction::LogoutEverywhere => "Signed out everywhere",
            AuditAction::AccountCreated => "Account created",
            AuditAction::AccountUpdated => "Account changed",
            AuditAction::AccountDeactivated => "Account deactivated",
            AuditAction::AccountReactivated => "Account reactivated",
            AuditAction::AccountDeleted => "Account deleted",
            AuditAction::TenantCreated => "Organisation created",
            AuditAction::TenantSeatsChanged => "Seats changed",
            AuditAction::AuditExported => "Audit trail exported",
            AuditAction::LoginRefusedExpired => "Sign-in refused: account expired",
            AuditAction::LoginRefusedDirectory => {
                "Sign-in refused by the directory, or directory not answering"
            }
            AuditAction::LoginThrottled => "Sign-in slowed after repeated failures",
            AuditAction::LoginThrottleCleared => "Sign-in throttling cleared",
            AuditAction::PasswordChanged => "Password changed by its owner",
            AuditAction::PasswordReset => "Password reset by an administrator",
            AuditAction::ClientCreated => "Client created",
            AuditAction::ClientRenamed => "Client renamed",
            AuditAction::ClientArchived => "Client archived",
            AuditAction::ClientRestored => "Client restored",
            AuditAction::SettingsChanged => "Organisation settings changed",
            AuditAction::AccountsExported => "Accounts exported",
            AuditAction::AccountsImported => "Accounts imported from CSV",
            AuditAction::InvitationSent => "Invitation sent",
            AuditAction::InvitationResent => "Invitation sent again",
            AuditAction::InvitationRevoked => "Invitation revoked",
            AuditAction::InvitationAccepted => "Invitation accepted: password set",
            AuditAction::PasswordResetRequested => "Password reset requested",
            AuditAction::PasswordResetCompleted => "Password reset by its owner from a link",
            AuditAction::GroupCreated => "Group created",
            AuditAction::GroupChanged => "Group renamed or described",
            AuditAction::GroupDeleted => "Group deleted",
            AuditAction::FormCreated => "Form added to the catalogue",
            AuditAction::FormRenamed => "Form renamed",
            AuditAction::FormRetired => "Form retired",
            AuditAction::FormRestored => "Form restored",
            AuditAction::ColumnCreated => "Column added",
            AuditAction::ColumnRenamed => "Column renamed",
            AuditAction::ColumnRetired => "Column retired",
            AuditAction::ColumnRestored => "Column restored",
            AuditAction::PermissionsChanged => "Form permissions changed",
            AuditAction::ApiTokenCreated => "API token created",
            AuditAction::ApiTokenRevoked => "API token revoked",
            AuditAction::AccountDuplicated => "Account created as a copy of another",
            AuditAction::DirectoryChanged => "Directory settings changed",
            AuditAction::AccountDirectoryRefreshed => "Names and email updated from the directory",
            AuditAction::SeatSignedOutByAdmin => "Signed out by an administrator to free a seat",
            AuditAction::SeatEvicted => "Signed out when idle to give the seat to someone else",
            AuditAction::SeatDeviceLimit => "Session ended: too many devices for one person",
            AuditAction::PasswordChangeFailed => "Wrong current password when changing it",
            AuditAction::LoginRefusedThrottled => "Sign-in refused: too many failed attempts, wait",
            AuditAction::AccessDenied => "Refused: not allowed, or not in this organisation",
        }
    }

    pub fn parse(s: &str) -> Option<AuditAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Filters of the audit list; empty strings mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Part of the actor's name (any case).
    #[serde(default)]
    pub actor: String,
    /// Part of the target's name (any case).
    #[serde(default)]
    pub target: String,
    /// One action name, e.g. `account.created`.
    #[serde(default)]
    pub action: String,
    /// First day included, `YYYY-MM-DD` (the organisation's calendar).
    #[serde(default)]
    pub from: String,
    /// Last day included, `YYYY-MM-DD` (the organisation's calendar).
    #[serde(default)]
    pub to: String,
    /// 1-based.
    #[serde(default = "first_page")]
    pub page: u32,
}

fn first_page() -> u32 {
    1
}

pub const AUDIT_PAGE_SIZE: u32 = 50;

/// A query that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<AuditAction>,
    pub from: Option<Date>,
    /// Exclusive: the day after the last day included.
    pub until: Option<Date>,
    pub page: u32,
}

fn parse_day(field: &str, s: &str) -> Result<Option<Date>, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| ApiError::validation(field, "Enter a date as YYYY-MM-DD."))
}

impl AuditQuery {
    pub fn validate(&self) -> Result<AuditFilter, ApiError> {
        let text = |s: &str| {
            let s = s.trim();
            (!s.is_empty()).then(|| s.chars().take(100).collect::<String>())
        };
        let action = match self.action.trim() {
            "" => None,
            name => Some(AuditAction::parse(name).ok_or_else(|| {
                ApiError::validation("action", "Choose an action from the list.")
            })?),
        };
        let from = parse_day("from", &self.from)?;
        let to = parse_day("to", &self.to)?;
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                return Err(ApiError::validation(
                    "to",
                    "The last day comes before the first day.",
                ));
            }
        }
        Ok(AuditFilter {
            actor: text(&self.actor),
            target: text(&self.target),
            action,
            from,
            until: to.and_then(|d| d.next_day()),
            page: self.page.max(1),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    /// Changed fields (before/after) and context; never secrets.
    pub details: serde_json::Value,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl AuditEvent {
    pub fn action_label(&self) -> String {
        AuditAction::parse(&self.action)
            .map(|a| a.label().to_owned())
            .unwrap_or_else(|| self.action.clone())
    }

    /// The details in one line: `first_name: Test → Renamed; …`.
    pub fn summary(&self) -> String {
        fn show(v: &serde_json::Value) -> String {
            match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".into(),
                other => other.to_string(),
            }
        }
        let Some(map) = self.details.as_object() else {
            return String::new();
        };
        let mut parts = Vec::new();
        for (key, value) in map {
            match (key.as_str(), value) {
                ("changes", serde_json::Value::Object(changes)) => {
                    for (field, change) in changes {
                        parts.push(format!(
                            "{field}: {} → {}",
                            show(&change["before"]),
                            show(&change["after"])
                        ));
                    }
                }
                ("before" | "after", serde_json::Value::Object(fields)) => {
                    let list: Vec<String> = fields
                        .iter()
                        .map(|(f, v)| format!("{f}={}", show(v)))
                        .collect();
                    parts.push(format!("{key}: {}", list.join(", ")));
                }
                (_, v) => parts.push(format!("{key}: {}", show(v))),
            }
        }
        parts.join("; ")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub page: u32,
    pub page_size: u32,
    pub has_more: bool,
}

/// The events as CSV (RFC 4180, CRLF line ends), with a header row; `stamp`
/// writes each time (RFC 3339 in the organisation's zone, #27).
pub fn audit_csv(events: &[AuditEvent], stamp: &dyn Fn(time::OffsetDateTime) -> String) -> String {
    let mut out = String::from("time,actor,action,target,details,ip,user_agent\r\n");
    for e in events {
        let cells = [
            stamp(e.at),
            e.actor.clone(),
            e.action.clone(),
            e.target.clone().unwrap_or_default(),
            e.details.to_string(),
            e.ip.clone().unwrap_or_default(),
            e.user_agent.clone().unwrap_or_default(),
        ];
        out.push_str(&super::csv::line(&cells));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use time::macros::{date, datetime};

    #[test]
    fn action_names_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("nope"), None);
    }

    #[test]
    fn query_validation() {
        let q = AuditQuery {
            actor: "  ad ".into(),
            action: "account.created".into(),
            from: "2026-11-01".into(),
            to: "2026-11-22".into(),
            page: 0,
            ..AuditQuery::default()
        };
        let f = q.validate().unwrap();
        assert_eq!(f.actor.as_deref(), Some("ad"));
        assert_eq!(f.target, None);
        assert_eq!(f.action, Some(AuditAction::AccountCreated));
        assert_eq!(f.from, Some(date!(2026 - 11 - 01)));
        assert_eq!(f.until, Some(date!(2026 - 11 - 23)));
        assert_eq!(f.page, 1);
        let bad = AuditQuery {
            from: "22/11/2026".into(),
            ..AuditQuery::default()
        };
        assert_eq!(bad.validate().unwrap_err().field.as_deref(), Some("from"));
        let reversed = AuditQuery {
            from: "2026-11-22".into(),
            to: "2026-11-01".into(),
            ..AuditQuery::default()
        };
        assert_eq!(
            reversed.validate().unwrap_err().field.as_deref(),
            Some("to")
        );
        let unknown = AuditQuery {
            action: "drop.tables".into(),
            ..AuditQuery::default()
        };
        assert_eq!(
            unknown.validate().unwrap_err().field.as_deref(),
            Some("action")
        );
    }

    fn event(details: serde_json::Value, actor: &str) -> AuditEvent {
        AuditEvent {
            id: 1,
            at: datetime!(2026-11-22 09:00 UTC),
            actor: actor.into(),
            action: "account.updated".into(),
            target: Some("jdoe".into()),
            details,
            ip: None,
            user_agent: Some("Agent, \"quoted\"".into()),
        }
    }

    #[test]
    fn summaries_read_as_sentences() {
        let e = event(
            json!({ "changes": { "first_name": { "before": "Jo", "after": "Joan" } }, "sessions_ended": 0 }),
            "admin",
        );
        assert_eq!(e.summary(), "first_name: Jo → Joan; sessions_ended: 0");
        assert_eq!(e.action_label(), "Account changed");
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let utc = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let csv = audit_csv(&[event(json!({}), "=HYPERLINK(\"x\")")], &utc);
        let mut lines = csv.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("time,actor,action,target,details,ip,user_agent")
        );
        assert_eq!(
            lines.next(),
            Some("2026-11-22T09:00:00Z,\"'=HYPERLINK(\"\"x\"\")\",account.updated,jdoe,{},,\"Agent, \"\"quoted\"\"\"")
        );
    }
}
