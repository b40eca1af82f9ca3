//! Invitations and password-reset links: a person sets their own password
//! from a single-use link sent by mail.

use super::error::ApiError;
use super::password::{NewPassword, PasswordOwner, PasswordPolicy};
use super::secret::Secret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How long an invitation link works by default, and the bounds an
/// administrator may set (Settings).
pub const INVITATION_HOURS_DEFAULT: u32 = 72;
pub const INVITATION_HOURS_MIN: u32 = 1;
pub const INVITATION_HOURS_MAX: u32 = 720;
/// A reset link works this long.
pub const RESET_LINK_MINUTES: u32 = 60;
/// At most this many reset links are mailed for one account in an hour;
/// further requests get the same answer and send nothing.
pub const RESETS_PER_HOUR: u32 = 3;

pub fn check_invitation_hours(hours: u32) -> Result<(), ApiError> {
    if (INVITATION_HOURS_MIN..=INVITATION_HOURS_MAX).contains(&hours) {
        Ok(())
    } else {
        Err(ApiError::validation(
            "invitation_hours",
            format!(
                "Invitation links must expire after {INVITATION_HOURS_MIN} to {INVITATION_HOURS_MAX} hours (30 days)."
            ),
        ))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    Invitation,
    Reset,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invitation => "invitation",
            LinkKind::Reset => "reset",
        }
    }

    pub fn parse(s: &str) -> Option<LinkKind> {
        match s {
            "invitation" => Some(LinkKind::Invitation),
            "reset" => Some(LinkKind::Reset),
            _ => None,
        }
    }
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Works until it expires.
    Pending,
    /// Used to set a password.
    Accepted,
    Expired,
    /// Withdrawn by an administrator.
    Revoked,
    /// A newer link was sent; this one no longer works.
    Replaced,
    /// The password was set another way (an administrator set one, or
    /// another link was used).
    Superseded,
    /// The account's email address changed after the link was mailed: the
    /// link may be in someone else's mailbox (#25).
    EmailChanged,
    /// The account was deactivated (or expired) after the link was mailed.
    AccountDeactivated,
    /// The account stopped being a local one (its password is kept
    /// elsewhere now).
    TypeChanged,
}

impl LinkState {
    /// The `password_links.closed_reason` of a link closed because its
    /// account changed: `email_changed`, `account_deactivated`,
    /// `type_changed`.
    pub fn closed_reason(self) -> Option<&'static str> {
        match self {
            LinkState::Revoked => Some("revoked"),
            LinkState::Replaced => Some("replaced"),
            LinkState::Superseded => Some("superseded"),
            LinkState::EmailChanged => Some("email_changed"),
            LinkState::AccountDeactivated => Some("account_deactivated"),
            LinkState::TypeChanged => Some("type_changed"),
            LinkState::Pending | LinkState::Accepted | LinkState::Expired => None,
        }
    }
}

impl LinkState {
    /// The state of a stored link at `now`.
    pub fn at(
        used_at: Option<OffsetDateTime>,
        closed_reason: Option<&str>,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> LinkState {
        match (used_at, closed_reason) {
            (Some(_), _) => LinkState::Accepted,
            (None, Some("revoked")) => LinkState::Revoked,
            (None, Some("replaced")) => LinkState::Replaced,
            (None, Some("email_changed")) => LinkState::EmailChanged,
            (None, Some("account_deactivated")) => LinkState::AccountDeactivated,
            (None, Some("type_changed")) => LinkState::TypeChanged,
            (None, Some(_)) => LinkState::Superseded,
            (None, None) if expires_at <= now => LinkState::Expired,
            (None, None) => LinkState::Pending,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LinkState::Pending => "Pending",
            LinkState::Accepted => "Accepted",
            LinkState::Expired => "Expired",
            LinkState::Revoked => "Revoked",
            LinkState::Replaced => "Replaced by a newer invitation",
            LinkState::Superseded => "Closed: the password was set another way",
            LinkState::EmailChanged => "Closed: the email address changed",
            LinkState::AccountDeactivated => "Closed: the account was deactivated",
            LinkState::TypeChanged => "Closed: the account no longer has a Rollcall password",
        }
    }
}

/// An account's latest invitation, as its administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub state: LinkState,
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The administrator who sent it.
    pub sent_by: Option<String>,
    /// When it was accepted, revoked, replaced or superseded.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
}

/// What the page behind a link shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LinkStatus {
    /// The link works: the form to set a password.
    Valid(LinkInfo),
    /// The link cannot be used, and why.
    Closed(ClosedLink),
    /// No such link (mistyped or cut short).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkInfo {
    pub kind: LinkKind,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub username: String,
    /// For the policy's "must not contain your email" rule.
    pub email: String,
    pub policy: PasswordPolicy,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedLink {
    pub kind: LinkKind,
    pub state: LinkState,
    pub tenant_slug: String,
    /// When it expired, was used, revoked or replaced.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl ClosedLink {
    /// What happened and what to do, in a sentence or two.
    pub fn explain(&self) -> (&'static str, &'static str) {
        let invitation = self.kind == LinkKind::Invitation;
        match self.state {
            LinkState::Accepted if invitation => (
                "This invitation was already used",
                "Your password is set: sign in with it. If you have forgotten it, use “Forgot password?” on the sign-in page.",
            ),
            LinkState::Accepted => (
                "This reset link was already used",
                "Sign in with the password you set. If you have forgotten it again, use “Forgot password?” for a new link.",
            ),
            LinkState::Expired if invitation => (
                "This invitation has expired",
                "Ask your administrator to send you a new invitation.",
            ),
            LinkState::Expired => (
                "This reset link has expired",
                "Use “Forgot password?” on the sign-in page for a new link.",
            ),
            LinkState::Revoked => (
                "This invitation was withdrawn",
                "Your administrator revoked it. Ask them if you still need access.",
            ),
            LinkState::Replaced if invitation => (
                "A newer invitation was sent",
                "Use the link in the most recent invitation email.",
            ),
            LinkState::Replaced => (
                "A newer reset link was sent",
                "Use the link in the most recent email.",
            ),
            LinkState::EmailChanged if invitation => (
                "This invitation no longer works",
                "The email address of this account was changed after it was sent. Ask your administrator to send a new invitation; it will go to the current address.",
            ),
            LinkState::EmailChanged => (
                "This reset link no longer works",
                "The email address of this account was changed after it was sent. Use “Forgot password?” for a new link; it goes to the current address.",
            ),
            LinkState::AccountDeactivated => (
                "This account was deactivated",
                "The link stopped working when the account was deactivated. Ask your administrator if you still need access.",
            ),
            LinkState::TypeChanged => (
                "This link is no longer needed",
                "The account now signs in with your organisation's own sign-in (directory or single sign-on), not a Rollcall password. Sign in that way.",
            ),
            LinkState::Superseded | LinkState::Pending => (
                "This link is no longer needed",
                "The password of this account was set another way: sign in with it, or use “Forgot password?”.",
            ),
        }
    }
}

/// Sets a password from a link: `POST /api/password/set`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetPasswordRequest {
    pub token: Secret,
    /// `password` and `password_confirm`.
    #[serde(flatten)]
    pub new_password: NewPassword,
}

impl SetPasswordRequest {
    pub fn validate(
        &self,
        policy: &PasswordPolicy,
        owner: PasswordOwner<'_>,
    ) -> Result<(), Vec<ApiError>> {
        self.new_password.validate(policy, owner).map(|_| ())
    }
}

/// Where to sign in once the password is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordSet {
    pub tenant_slug: String,
    pub username: String,
}

/// The one answer to `POST /api/password/forgot`, whatever happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForgotPasswordAnswer {
    pub message: String,
}

pub const FORGOT_PASSWORD_ANSWER: &str = "If this account exists and has an email address, a link to set a new password is on its way; it works for 60 minutes. Accounts that sign in with Active Directory get a reminder to use their directory password instead.";

pub fn forgot_password_answer() -> ForgotPasswordAnswer {
    ForgotPasswordAnswer {
        message: FORGOT_PASSWORD_ANSWER.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn link_state_follows_use_closure_and_expiry() {
        let now = datetime!(2026-11-23 12:00 UTC);
        let exp = datetime!(2026-11-24 12:00 UTC);
        assert_eq!(LinkState::at(None, None, exp, now), LinkState::Pending);
        assert_eq!(LinkState::at(None, None, now, now), LinkState::Expired);
        assert_eq!(
            LinkState::at(Some(now), None, now, now),
            LinkState::Accepted
        );
        assert_eq!(
            LinkState::at(None, Some("revoked"), exp, now),
            LinkState::Revoked
        );
        assert_eq!(
            LinkState::at(None, Some("replaced"), exp, now),
            LinkState::Replaced
        );
        assert_eq!(
            LinkState::at(None, Some("superseded"), exp, now),
            LinkState::Superseded
        );
        // A revoked link stays revoked after its expiry time.
        assert_eq!(
            LinkState::at(None, Some("revoked"), exp, exp),
            LinkState::Revoked
        );
    }

    #[test]
    fn invitation_hours_bounds() {
        assert!(check_invitation_hours(0).is_err());
        assert!(check_invitation_hours(1).is_ok());
        assert!(check_invitation_hours(72).is_ok());
        assert!(check_invitation_hours(720).is_ok());
        assert!(check_invitation_hours(721).is_err());
    }

    #[test]
    fn every_closed_state_says_what_to_do() {
        for kind in [LinkKind::Invitation, LinkKind::Reset] {
            for state in [
                LinkState::Accepted,
                LinkState::Expired,
                LinkState::Revoked,
                LinkState::Replaced,
                LinkState::Superseded,
            ] {
                let (title, what) = ClosedLink {
                    kind,
                    state,
                    tenant_slug: "demo".into(),
                    at: datetime!(2026-11-23 12:00 UTC),
                }
                .explain();
                assert!(
                    !title.is_empty() && what.ends_with('.'),
                    "{kind:?} {state:?}"
                );
            }
        }
    }

    #[test]
    fn link_status_is_tagged_json() {
        let v = serde_json::to_value(LinkStatus::Unknown).unwrap();
        assert_eq!(v, serde_json::json!({ "status": "unknown" }));
    }
}
