//! Sessions after sign-in: authenticating a request by its session cookie
//! (renewing the seat's lease), the heartbeat, and signing out — one
//! session, or every session of a person. Sign-in itself is
//! [`super::signin`]; the cookie's text is the HTTP layer's.

use super::audit::{self, Action, Target};
use super::caller::{origin, Actor, AdminCaller, Caller};
use super::Services;
use crate::crypto;
use crate::db::{self, Scope};
use crate::error::Result;
use app::api::port::RequestMeta;
use app::model::{ApiError, ErrorCode, Secret, SessionEnd};
use serde_json::json;

/// The 401 for a session that ended, with its `reason` and the words for it.
fn ended_session_error(row: &db::sessions::EndedSessionRow) -> ApiError {
    if row.past_lifetime {
        let hours = row.session_lifetime_hours;
        return ApiError::session_ended(
            SessionEnd::Lifetime,
            &format!(
                "You signed in {hours} hour{} ago, the longest a session lasts in your organisation. Sign in again to continue.",
                if hours == 1 { "" } else { "s" }
            ),
        );
    }
    let reason = match (row.end_reason.as_deref(), row.account_closed.as_deref()) {
        (Some(db_reason), _) | (None, Some(db_reason)) => SessionEnd::from_end_reason(db_reason),
        // Open, yet refused: its lease ran out before anyone reclaimed it.
        (None, None) => SessionEnd::LeaseExpired,
    };
    ApiError::session_ended(reason, &reason.message())
}

impl Services {
    /// The caller behind the request's session cookie; refreshes its lease.
    /// A session that must change its password is refused here: it may only
    /// use [`Services::authenticate_restricted`] operations.
    pub async fn authenticate(&self, meta: &RequestMeta) -> Result<Caller> {
        let caller = self.authenticate_restricted(meta).await?;
        if caller.password_change_required {
            return Err(ApiError::new(
                ErrorCode::PasswordChangeRequired,
                "You must set a new password before you continue.",
            )
            .into());
        }
        Ok(caller)
    }

    /// Any live session, including one that must change its password: for
    /// the heartbeat, the session info and changing the password.
    pub async fn authenticate_restricted(&self, meta: &RequestMeta) -> Result<Caller> {
        match self.try_authenticate(meta).await? {
            Some(caller) => Ok(caller),
            None => Err(self.why_signed_out(meta).await.into()),
        }
    }

    /// The 401 for a request whose session no longer lets it in, saying why
    /// when the session ended for a reason the person should know.
    async fn why_signed_out(&self, meta: &RequestMeta) -> ApiError {
        let Some(token) = meta.session_token.as_ref().map(Secret::expose) else {
            return ApiError::unauthenticated();
        };
        let hash = crypto::token_hash(token);
        let found = async {
            let mut tx = db::begin(&self.pool, Scope::Session(&hash)).await?;
            Ok::<_, crate::error::Error>(db::sessions::why_ended(&mut tx, &hash, self.now()).await?)
        };
        match found.await {
            Ok(Some(row)) => ended_session_error(&row),
            _ => ApiError::unauthenticated(),
        }
    }

    /// For `POST /api/session`: the live session; `None` without one; or,
    /// when the cookie's session was ended by someone or something else
    /// ([`SessionEnd::needs_notice`]), the 401 saying why, so that a page
    /// opened afresh tells the person too.
    pub async fn current_caller(&self, meta: &RequestMeta) -> Result<Option<Caller>> {
        if let Some(caller) = self.try_authenticate(meta).await? {
            return Ok(Some(caller));
        }
        if meta.session_token.is_none() {
            return Ok(None);
        }
        let why = self.why_signed_out(meta).await;
        if why.reason.is_some_and(SessionEnd::needs_notice) {
            Err(why.into())
        } else {
            Ok(None)
        }
    }

    pub async fn try_authenticate(&self, meta: &RequestMeta) -> Result<Option<Caller>> {
        self.touch_session(meta, true).await
    }

    /// `POST /api/heartbeat`: keeps the seat; counts as the person's
    /// activity only when `active` (the app saw keyboard or pointer input
    /// since the last beat). Any other request is activity.
    pub async fn heartbeat(&self, meta: &RequestMeta, active: bool) -> Result<Caller> {
        match self.touch_session(meta, active).await? {
            Some(caller) => Ok(caller),
            None => Err(self.why_signed_out(meta).await.into()),
        }
    }

    pub(crate) async fn touch_session(
        &self,
        meta: &RequestMeta,
        active: bool,
    ) -> Result<Option<Caller>> {
        let Some(token) = meta.session_token.as_ref().map(Secret::expose) else {
            return Ok(None);
        };
        let token_hash = crypto::token_hash(token);
        let mut tx = db::begin(&self.pool, Scope::Session(&token_hash)).await?;
        let now = self.now();
        let Some(row) = db::sessions::touch(&mut tx, &token_hash, now, active).await? else {
            return Ok(None);
        };
        tx.commit().await?;
        Ok(Some(Caller::from_row(row, origin(meta), now)?))
    }

    pub async fn require_admin(&self, meta: &RequestMeta) -> Result<AdminCaller> {
        Ok(self.authenticate(meta).await?.into_admin()?)
    }

    /// Ends the request's session and frees its seat at once. Idempotent.
    pub async fn logout(&self, meta: &RequestMeta) -> Result<()> {
        let Some(token) = meta.session_token.as_ref().map(Secret::expose) else {
            return Ok(());
        };
        let now = self.now();
        let token_hash = crypto::token_hash(token);
        let mut tx = db::begin(&self.pool, Scope::Session(&token_hash)).await?;
        if let Some(ended) = db::sessions::end_by_token(&mut tx, &token_hash, now).await? {
            audit::record(
                &mut tx,
                audit::Event {
                    tenant_id: Some(ended.tenant_id),
                    at: now,
                    actor: &Actor::Account {
                        id: ended.account_id,
                        username: ended.username.clone(),
                    },
                    action: Action::Logout,
                    target: Target::of("session", ended.session_id, &ended.username),
                    details: json!({}),
                    origin: &origin(meta),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// "Sign out everywhere": ends every session of the caller, this one
    /// included, and frees their seats; audited. Answers how many ended.
    pub async fn logout_everywhere(&self, meta: &RequestMeta) -> Result<u64> {
        let caller = self.authenticate_restricted(meta).await?;
        let now = self.now();
        let mut tx = db::begin(&self.pool, caller.scope()).await?;
        let ended = db::sessions::end_for_account(
            &mut tx,
            caller.account_id.as_uuid(),
            now,
            db::sessions::EndReason::SignedOutEverywhere,
            None,
        )
        .await?;
        audit::record(
            &mut tx,
            audit::Event::by(
                &caller,
                Action::LogoutEverywhere,
                Target::of("account", caller.account_id.as_uuid(), &caller.username),
                json!({ "sessions_ended": ended }),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use app::model::SessionEnd;

    #[test]
    fn an_ended_session_says_why() {
        use crate::db::sessions::EndedSessionRow;
        let row = |reason: Option<&str>, past_lifetime: bool, hours: i32| EndedSessionRow {
            end_reason: reason.map(str::to_owned),
            account_closed: None,
            past_lifetime,
            session_lifetime_hours: hours,
        };
        let err = |r| super::ended_session_error(&r);
        let msg = |r| err(r).message;
        assert!(msg(row(Some("lifetime"), true, 12)).starts_with("You signed in 12 hours ago"));
        assert!(msg(row(None, true, 1)).starts_with("You signed in 1 hour ago"));
        assert_eq!(err(row(None, true, 1)).reason, Some(SessionEnd::Lifetime));
        assert!(msg(row(Some("password_changed"), false, 12)).contains("password was changed"));
        assert!(msg(row(Some("signed_out_everywhere"), false, 12)).contains("every device"));
        assert_eq!(
            msg(row(Some("signed_out_by_admin"), false, 12)),
            "Your administrator signed you out to free a seat."
        );
        for (db, wire) in [
            ("logout", "logout"),
            ("signed_out_by_admin", "signed_out"),
            ("evicted", "evicted"),
            ("device_limit", "device_limit"),
            ("lease_expired", "lease_expired"),
            ("account_deactivated", "deactivated"),
            ("account_expired", "expired"),
            ("password_reset", "password_reset"),
        ] {
            let json = serde_json::to_value(err(row(Some(db), false, 12))).unwrap();
            assert_eq!(json["reason"], wire, "{db}");
            assert_eq!(json["code"], "unauthenticated");
        }
        // Open but past its lease: not reclaimed yet, still lapsed.
        assert_eq!(
            err(row(None, false, 12)).reason,
            Some(SessionEnd::LeaseExpired)
        );
        // Open, but the account expired since.
        let closed = EndedSessionRow {
            account_closed: Some("account_expired".into()),
            ..row(None, false, 12)
        };
        assert_eq!(err(closed).reason, Some(SessionEnd::Expired));
    }
}
