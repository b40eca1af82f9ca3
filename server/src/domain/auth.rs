//! Signing in and out, sessions, and the capabilities a session grants.

use super::audit::{self, Action, Target};
use super::caller::{is_expired, origin, Actor, AdminCaller, Caller, Origin};
use super::licensing::{self, Decision, SeatRefusal};
use super::refusals;
use super::throttle::{self, Settled};
use super::Services;
use crate::crypto;
use crate::db::{self, Scope};
use crate::directory::Refusal;
use crate::error::Result;
use app::api::port::RequestMeta;
use app::model::Secret;
use app::model::{
    session::session_cookie_name, AccountStatus, AccountType, ApiError, ErrorCode, SessionEnd,
    SessionInfo, TenantSlug, Username,
};
use serde_json::json;
use uuid::Uuid;

pub struct LoggedIn {
    pub session: SessionInfo,
    /// The session token, for the cookie.
    pub token: Secret,
}

/// Why a sign-in stops before a seat is taken.
enum Refused {
    /// Wrong organisation, username or password: the uniform 401.
    Credentials,
    /// The directory knows the password but refuses the person.
    Directory(Refusal),
    /// The directory could not be asked.
    Unavailable(crate::directory::Failure),
}

/// The 403 for each AD refusal: its own code, and the person's way out
/// (their organisation's tools or IT desk; Rollcall cannot help).
fn directory_error(r: Refusal) -> ApiError {
    let then = "then sign in again.";
    let (code, message) = match r {
        Refusal::Disabled => (
            ErrorCode::DirectoryAccountDisabled,
            "Your account is disabled in your organisation's directory. Ask your IT desk to enable it.".to_owned(),
        ),
        Refusal::AccountExpired => (
            ErrorCode::DirectoryAccountExpired,
            "Your account has expired in your organisation's directory. Ask your IT desk to extend it.".to_owned(),
        ),
        Refusal::PasswordExpired => (
            ErrorCode::DirectoryPasswordExpired,
            format!("Your directory password has expired. Change it with your organisation's usual password tools (on a work computer: Ctrl+Alt+Del, Change a password) or ask your IT desk, {then}"),
        ),
        Refusal::MustChangePassword => (
            ErrorCode::DirectoryPasswordMustChange,
            format!("Your directory password must be changed before you can sign in. Change it with your organisation's usual password tools or ask your IT desk, {then}"),
        ),
        Refusal::LockedOut => (
            ErrorCode::DirectoryAccountLocked,
            format!("Your directory account is locked after too many wrong passwords. Wait for it to unlock or ask your IT desk, {then}"),
        ),
        Refusal::BadCredentials => return ApiError::invalid_credentials(),
    };
    ApiError::new(code, message)
}

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

fn seats_message(limit: u32, tenant_name: &str, refusal: SeatRefusal) -> String {
    let then = "Try again when someone signs out, or ask your administrator for more seats.";
    match (refusal, limit) {
        (SeatRefusal::Reserved, _) => {
            format!("The free seats of {tenant_name} are reserved for administrators. {then}")
        }
        (_, 0) => format!("{tenant_name} has no seats. Ask your administrator to add seats."),
        (_, 1) => format!("The only seat for {tenant_name} is in use. {then}"),
        (_, n) => format!("All {n} seats for {tenant_name} are in use. {then}"),
    }
}

impl Services {
    /// After a sign-in that matched a hash of the unnormalised password
    /// ([`crypto::Verified::Legacy`]), stores the hash of its NFKC form. The
    /// sign-in has succeeded either way: a failure here is only logged, and
    /// the next sign-in tries again.
    async fn upgrade_hash(&self, tenant_id: Uuid, account_id: Uuid, old: &str, password: &Secret) {
        let upgraded = async {
            let new = crypto::hash_password(password.clone()).await?;
            let mut tx = db::begin(&self.pool, Scope::Tenant(tenant_id)).await?;
            db::accounts::upgrade_password_hash(&mut tx, tenant_id, account_id, old, &new).await?;
            tx.commit().await?;
            Result::<()>::Ok(())
        };
        if let Err(e) = upgraded.await {
            tracing::warn!(%account_id, error = %e, "could not rehash a password from before normalisation");
        }
    }

    /// Audits a sign-in refused after the password was proven, in a
    /// transaction of its own (the sign-in's was rolled back or never
    /// begun).
    async fn record_login_refusal(
        &self,
        account: &db::accounts::AccountRow,
        action: Action,
        details: serde_json::Value,
        actor: &Actor,
        origin: &Origin,
        now: time::OffsetDateTime,
    ) -> Result<()> {
        let mut tx = db::begin(&self.pool, Scope::Tenant(account.tenant_id)).await?;
        audit::record(
            &mut tx,
            audit::Event::on_account(account, action, details, actor, origin, now),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Verifies the password, then takes a seat in the same transaction that
    /// creates the session. Refusals are audited.
    pub async fn login(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
        password: &Secret,
    ) -> Result<LoggedIn> {
        if tenant.trim().is_empty() {
            return Err(ApiError::validation("tenant", "Enter your organisation.").into());
        }
        if username.trim().is_empty() {
            return Err(ApiError::validation("username", "Enter your username.").into());
        }
        if password.is_empty() {
            return Err(ApiError::validation("password", "Enter your password.").into());
        }
        let origin = origin(meta);
        let claimed = audit::claimed(tenant, username);
        // A malformed name cannot match anything: treat it as unknown.
        let slug = TenantSlug::parse(tenant).ok();
        let slug = slug.as_ref().map_or("", |s| s.as_str());
        let mut conn = db::begin(&self.pool, Scope::TenantSlug(slug)).await?;
        let tenant_row = db::tenants::by_slug(&mut conn, slug).await?;
        let account = match (&tenant_row, Username::lookup(username)) {
            (Some(t), Ok(u)) => db::accounts::for_login(&mut conn, t.id, &u.folded()).await?,
            _ => None,
        };
        let directory = match &tenant_row {
            Some(t) => {
                self.enabled_directory(&mut conn, t.id, super::directory::Lookup::Without)
                    .await?
            }
            None => None,
        };
        // `alice@rc.test` or `RC\alice` typed for the account `alice`.
        let account = match (account, &directory, &tenant_row) {
            (None, Some(d), Some(t)) if d.bare_username(username) != username.trim() => {
                match Username::lookup(d.bare_username(username)) {
                    Ok(u) => db::accounts::for_login(&mut conn, t.id, &u.folded())
                        .await?
                        .filter(|a| a.account.account_type == AccountType::Directory.as_str()),
                    Err(_) => None,
                }
            }
            (account, _, _) => account,
        };
        // Checked before the password is looked at: a username or address
        // that must wait is refused whatever the password. Keyed by the
        // account's own username when there is one, so `RC\alice` and
        // `alice@rc.test` count as `alice`.
        let attempt = match &tenant_row {
            Some(t) => {
                let key_name = account
                    .as_ref()
                    .map_or(username, |a| a.account.username.as_str());
                match throttle::begin_attempt(
                    &mut conn,
                    t.id,
                    key_name,
                    meta.ip.as_deref(),
                    self.now(),
                )
                .await?
                {
                    Ok(attempt) => Some(attempt),
                    Err(wait) => {
                        refusals::record(
                            &mut conn,
                            audit::Event {
                                tenant_id: Some(t.id),
                                actor: &Actor::Anonymous {
                                    claimed: claimed.clone(),
                                },
                                action: Action::LoginRefusedThrottled,
                                target: None,
                                details: json!({ "retry_after": wait.retry_after }),
                                origin: &origin,
                                at: self.now(),
                            },
                        )
                        .await?;
                        conn.commit().await?;
                        return Err(wait.into());
                    }
                }
            }
            None => None,
        };
        drop(conn);

        let hash = account.as_ref().and_then(|a| a.password_hash.clone());
        // Every attempt pays one argon2 verification (a dummy one when there
        // is no hash, as for directory accounts), so timing does not tell
        // accounts apart.
        let verification = crypto::verify_password(hash.clone(), password.clone()).await?;
        let now = self.now();
        let is_directory_account = account
            .as_ref()
            .is_some_and(|a| a.account.account_type == AccountType::Directory.as_str());
        // The directory is asked outside any transaction or lock.
        let proof = match (&account, &directory) {
            (Some(a), Some(d)) if is_directory_account => {
                match d.authenticate(&a.account.username, password.expose()).await {
                    Ok(Ok(person)) => Ok(person),
                    Ok(Err(Refusal::BadCredentials)) => Err(Refused::Credentials),
                    Ok(Err(r)) => Err(Refused::Directory(r)),
                    Err(f) => Err(Refused::Unavailable(f)),
                }
            }
            (Some(_), _) if !is_directory_account && verification.matched() => Ok(None),
            // Unknown, a wrong local password, or a directory account while
            // directory sign-in is off: the same 401, unless the directory
            // is down, which then answers every failure alike (a 503 must
            // not single out directory accounts).
            (_, Some(d)) => match d.probe(password.expose()).await {
                Ok(()) => Err(Refused::Credentials),
                Err(f) => Err(Refused::Unavailable(f)),
            },
            _ => Err(Refused::Credentials),
        };
        let known = tenant_row.clone().zip(account.map(|a| a.account));
        let refused = match (&proof, &known) {
            (Err(r), _) => Some(r),
            (Ok(_), None) => Some(&Refused::Credentials),
            (Ok(_), Some(_)) => None,
        };
        if let Some(refused) = refused {
            let target = known.as_ref().map(|(_, a)| audit::account_target(a));
            let (action, details, error) = match refused {
                Refused::Credentials => (
                    Action::LoginFailed,
                    json!({ "reason": "invalid_credentials" }),
                    ApiError::invalid_credentials(),
                ),
                Refused::Directory(r) => (
                    Action::LoginRefusedDirectory,
                    json!({ "reason": directory_error(*r).code.as_str() }),
                    directory_error(*r),
                ),
                Refused::Unavailable(f) => {
                    tracing::warn!(tenant = %tenant.trim(), error = %f, "directory sign-in could not be checked");
                    (
                        Action::LoginRefusedDirectory,
                        json!({ "reason": "directory_unavailable", "problem": f.check.as_str() }),
                        ApiError::new(
                            ErrorCode::DirectoryUnavailable,
                            "Your sign-in could not be checked because your organisation's directory is not answering. Try again in a few minutes; if it keeps happening, tell your IT desk.",
                        ),
                    )
                }
            };
            // With no tenant, a platform event, which any scope may append.
            let scope = tenant_row
                .as_ref()
                .map_or(Scope::TenantSlug(slug), |t| Scope::Tenant(t.id));
            let mut tx = db::begin(&self.pool, scope).await?;
            // A wrong password or an unknown name counts as a failure; so
            // does one the directory outage kept from being told apart,
            // unless it was a directory account's (its password is unknown).
            let failed = match refused {
                Refused::Credentials => true,
                Refused::Unavailable(_) => !is_directory_account,
                Refused::Directory(_) => false,
            };
            if let (Some(attempt), true) = (&attempt, failed) {
                let actor = Actor::Anonymous {
                    claimed: claimed.clone(),
                };
                attempt
                    .settle(&mut tx, Settled::Failed, &actor, &origin, now)
                    .await?;
            }
            audit::record(
                &mut tx,
                audit::Event {
                    tenant_id: tenant_row.as_ref().map(|t| t.id),
                    at: now,
                    actor: &Actor::Anonymous {
                        claimed: claimed.clone(),
                    },
                    action,
                    // A failed guess does not name the account it tried.
                    target: if matches!(refused, Refused::Credentials) {
                        None
                    } else {
                        target
                    },
                    details,
                    origin: &origin,
                },
            )
            .await?;
            tx.commit().await?;
            return Err(error.into());
        }
        let directory_person = proof.ok().flatten();
        let Some((tenant_row, mut account)) = known else {
            return Err(ApiError::invalid_credentials().into());
        };
        let actor = Actor::Account {
            id: account.id,
            username: account.username.clone(),
        };

        let refusal = if account.status != AccountStatus::Active.as_str() {
            Some((
                Action::LoginRefusedInactive,
                ApiError::new(
                    ErrorCode::AccountInactive,
                    "This account is deactivated. Ask your administrator to reactivate it.",
                ),
            ))
        } else if is_expired(account.expires_on, now) {
            Some((
                Action::LoginRefusedExpired,
                ApiError::new(
                    ErrorCode::AccountExpired,
                    if is_directory_account {
                        "This account has expired in Rollcall. Ask your administrator to extend it."
                    } else {
                        "This account has expired. Ask your administrator to reactivate it and set a new password."
                    },
                ),
            ))
        } else {
            None
        };
        if let Some((action, error)) = refusal {
            self.record_login_refusal(&account, action, json!({}), &actor, &origin, now)
                .await?;
            return Err(error.into());
        }

        // Whoever was signed in on this browser is signed out first: the
        // person at the keyboard has just proven to be someone (else), and a
        // sign-in always gets a new session token (ASVS 5.0 V7.2.4). Their
        // seat is free before this sign-in counts the seats.
        self.logout(meta).await?;

        let (token, token_hash) = crypto::new_session_token()?;
        let mut tx = db::begin(&self.pool, Scope::Tenant(tenant_row.id)).await?;
        let seat = match licensing::take_seat(
            &mut tx,
            tenant_row.id,
            &account,
            &actor,
            &origin,
            now,
        )
        .await
        {
            Ok(seat) => seat,
            // Deactivated, expired or deleted while the password was
            // being checked: refused all the same, and audited.
            Err(crate::error::Error::Api(refused)) => {
                drop(tx);
                let action = match refused.code {
                    ErrorCode::InvalidCredentials => Action::LoginFailed,
                    _ => Action::LoginRefusedInactive,
                };
                let details =
                    json!({ "reason": refused.code.as_str(), "changed_during_sign_in": true });
                self.record_login_refusal(&account, action, details, &actor, &origin, now)
                    .await?;
                return Err(refused.into());
            }
            Err(e) => return Err(e),
        };
        // The password was right, whether or not a seat is free.
        if let Some(attempt) = &attempt {
            attempt
                .settle(&mut tx, Settled::Succeeded, &actor, &origin, now)
                .await?;
        }
        let tenant_locked = seat.tenant;
        if let Decision::Refuse(refusal) = seat.decision {
            audit::record(
                &mut tx,
                audit::Event::on_account(
                    &account,
                    Action::LoginRefusedSeats,
                    json!({
                        "seat_limit": tenant_locked.seat_limit,
                        "admin_reserve": tenant_locked.admin_reserve,
                        "reason": refusal.as_str(),
                    }),
                    &actor,
                    &origin,
                    now,
                ),
            )
            .await?;
            tx.commit().await?;
            let limit = u32::try_from(tenant_locked.seat_limit).unwrap_or(0);
            return Err(ApiError::new(
                ErrorCode::SeatsExhausted,
                seats_message(limit, &tenant_locked.name, refusal),
            )
            .into());
        }
        let session_id = db::sessions::insert(
            &mut tx,
            db::sessions::InsertSession {
                tenant_id: tenant_locked.id,
                account_id: account.id,
                token_hash: &token_hash,
                now,
                ip: origin.ip.as_deref(),
                user_agent: origin.user_agent.as_deref(),
            },
        )
        .await?;
        audit::record(
            &mut tx,
            audit::Event::on_account(
                &account,
                Action::LoginSucceeded,
                json!({ "session_id": session_id }),
                &actor,
                &origin,
                now,
            ),
        )
        .await?;
        if let Some(person) = &directory_person {
            // Compared with the row as locked now, so two sign-ins at once
            // store and audit a change once.
            let current = db::accounts::lock(&mut tx, tenant_locked.id, account.id)
                .await?
                .unwrap_or_else(|| account.clone());
            let names = super::directory::record_directory_names(
                &mut tx, &current, person, &actor, &origin, now,
            )
            .await?;
            if let Some([first, last, email]) = names {
                account.first_name = first;
                account.last_name = last;
                account.email = email;
            }
        }
        tx.commit().await?;
        if verification == crypto::Verified::Legacy {
            if let Some(old) = &hash {
                self.upgrade_hash(tenant_locked.id, account.id, old, password)
                    .await;
            }
        }

        let caller = Caller::from_row(
            db::sessions::SessionContextRow {
                session_id,
                tenant_id: tenant_locked.id,
                tenant_slug: tenant_locked.slug,
                tenant_name: tenant_locked.name,
                idle_lease_seconds: tenant_locked.idle_lease_seconds,
                account_id: account.id,
                username: account.username,
                first_name: account.first_name,
                last_name: account.last_name,
                role: account.role,
                account_type: account.account_type,
                must_change_password: account.must_change_password,
                rotate_password: account.rotate_password,
                password_changed_at: account.password_changed_at,
                password_policy: tenant_locked.password_policy,
            },
            origin,
            now,
        )?;
        Ok(LoggedIn {
            session: caller.session_info(self.settings.heartbeat_seconds),
            token,
        })
    }

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
                    target: Some(Target {
                        kind: "session",
                        id: Some(ended.session_id),
                        label: &ended.username,
                    }),
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
                Some(Target {
                    kind: "account",
                    id: Some(caller.account_id.as_uuid()),
                    label: &caller.username,
                }),
                json!({ "sessions_ended": ended }),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    pub fn session_cookie(&self, token: &str) -> String {
        let secure = self.settings.secure_cookies;
        format!(
            "{}={token}; Path=/; HttpOnly; SameSite=Strict{}",
            session_cookie_name(secure),
            if secure { "; Secure" } else { "" }
        )
    }

    pub fn clear_session_cookie(&self) -> String {
        let secure = self.settings.secure_cookies;
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            session_cookie_name(secure),
            if secure { "; Secure" } else { "" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{seats_message, SeatRefusal};
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

    #[test]
    fn seat_message_names_the_limit() {
        assert_eq!(
            seats_message(3, "Demo", SeatRefusal::Full),
            "All 3 seats for Demo are in use. Try again when someone signs out, or ask your administrator for more seats."
        );
        assert!(seats_message(1, "Demo", SeatRefusal::Full)
            .starts_with("The only seat for Demo is in use."));
        assert!(seats_message(0, "Demo", SeatRefusal::Full).contains("no seats"));
        assert!(
            seats_message(5, "Demo", SeatRefusal::Reserved).contains("reserved for administrators")
        );
    }
}
