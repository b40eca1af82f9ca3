//! Signing in, as named steps: [`Services::login`] reads as the list of
//! them, and a second factor or a single sign-on callback is one more step
//! between proving and opening, not a branch inside the others.
//!
//! 1. [`Services::identify`]: which organisation, account and directory the
//!    typed names mean (`RC\alice` and `alice@rc.test` are `alice`);
//! 2. [`Services::throttle`]: refuse (audited) a username or address that
//!    must wait, whatever the password (OWASP ASVS 5.0 V6.3.1);
//! 3. [`Services::prove`]: the local password (argon2id, one verification
//!    for every attempt so timing does not tell accounts apart) or a bind
//!    to the organisation's directory;
//! 4. [`Services::refuse`]: a failed proof, audited and counted against the
//!    throttle, answered as one uniform `401` (or the directory's own `403`,
//!    or `503` while it is down);
//! 5. [`standing`]: a deactivated or expired account is refused, audited;
//! 6. [`Services::open_session`]: the seat and the session in one
//!    transaction under the tenant's row lock (the vendor rule: the most
//!    recent connection is dropped).

use super::audit::{self, Action};
use super::caller::{is_expired, origin, Actor, Caller, Origin};
use super::licensing::{self, Decision, SeatRefusal};
use super::refusals;
use super::throttle::{self, Attempt, Settled};
use super::Services;
use crate::crypto;
use crate::db::{self, accounts::AccountRow, tenants::TenantRow, Scope};
use crate::directory::{Directory, Failure, Refusal};
use crate::error::Result;
use crate::zone::Zone;
use app::api::port::RequestMeta;
use app::model::directory::DirectoryPerson;
use app::model::{
    AccountStatus, AccountType, ApiError, ErrorCode, Secret, SessionInfo, TenantSlug, Username,
};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

/// A session just opened: what the browser is told, and the token for its
/// cookie.
pub struct LoggedIn {
    pub session: SessionInfo,
    /// The session token, for the cookie.
    pub token: Secret,
}

/// Who the typed organisation and username name, as far as they name
/// anyone (step 1).
struct Claimant {
    /// The organisation's short name as typed, when it is one (else empty).
    slug: String,
    /// The organisation as typed, for the log.
    typed_tenant: String,
    /// `organisation/username` as typed, for the audit trail.
    claimed: String,
    /// The username as typed (the throttle's key when no account matches).
    typed_username: String,
    origin: Origin,
    tenant: Option<TenantRow>,
    account: Option<db::accounts::LoginRow>,
    /// The organisation's directory, when directory sign-in is on.
    directory: Option<Directory>,
}

impl Claimant {
    fn is_directory_account(&self) -> bool {
        self.account
            .as_ref()
            .is_some_and(|a| a.account.account_type == AccountType::Directory.as_str())
    }

    fn anonymous(&self) -> Actor {
        Actor::Anonymous {
            claimed: self.claimed.clone(),
        }
    }
}

/// What proving the password established (step 3).
struct Proof {
    /// The local hash's verdict (a dummy verification for accounts without
    /// one, so timing does not tell accounts apart).
    verification: crypto::Verified,
    /// The hash that was checked, for rehashing a legacy one.
    hash: Option<String>,
    /// When the hash was verified, before any directory bind: the time of
    /// every record the sign-in writes.
    at: OffsetDateTime,
    /// `Ok` with the directory's view of the person (directory accounts),
    /// or why not.
    outcome: std::result::Result<Option<DirectoryPerson>, Refused>,
}

/// Why a sign-in stops before a seat is taken.
enum Refused {
    /// Wrong organisation, username or password: the uniform 401.
    Credentials,
    /// The directory knows the password but refuses the person.
    Directory(Refusal),
    /// The directory could not be asked.
    Unavailable(Failure),
}

/// A session opened with its seat (step 6).
pub struct Opened {
    pub session_id: Uuid,
    pub token: Secret,
    /// The tenant as locked for the seat decision.
    pub tenant: TenantRow,
    /// The account, with the directory's current names when it has them.
    pub account: AccountRow,
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

/// Step 5: whether `account` may sign in at all (vendor page 000:
/// deactivated accounts and accounts past their "Expires/Deactivates on"
/// date are refused), as the audit action and the error to answer.
pub fn standing(
    account: &AccountRow,
    directory_account: bool,
    now: OffsetDateTime,
    zone: &Zone,
) -> Option<(Action, ApiError)> {
    if account.status != AccountStatus::Active.as_str() {
        return Some((
            Action::LoginRefusedInactive,
            ApiError::new(
                ErrorCode::AccountInactive,
                "This account is deactivated. Ask your administrator to reactivate it.",
            ),
        ));
    }
    if is_expired(account.expires_on, now, zone) {
        return Some((
            Action::LoginRefusedExpired,
            ApiError::new(
                ErrorCode::AccountExpired,
                if directory_account {
                    "This account has expired in Rollcall. Ask your administrator to extend it."
                } else {
                    "This account has expired. Ask your administrator to reactivate it and set a new password."
                },
            ),
        ));
    }
    None
}

impl Services {
    /// Signs in with an organisation, a username and a password, and takes
    /// a seat: `400 validation` for an empty field; `429 too_many_attempts`
    /// while throttled; `401 invalid_credentials` for anything unknown or
    /// wrong; a directory's `403`s and `503 directory_unavailable`;
    /// `403 account_inactive` / `account_expired`; `409 seats_exhausted`.
    /// Every refusal is audited.
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
        let (conn, claimant) = self.identify(meta, tenant, username).await?;
        let attempt = self.throttle(conn, &claimant, meta).await?;
        let proof = self.prove(&claimant, password).await?;
        let now = proof.at;
        let known = claimant.tenant.as_ref().zip(claimant.account.as_ref());
        let (tenant_row, account, person) = match (proof.outcome, known) {
            (Ok(person), Some((t, a))) => (t.clone(), a.account.clone(), person),
            (Ok(_), None) => {
                let refused = Refused::Credentials;
                return Err(self
                    .refuse(&claimant, attempt.as_ref(), &refused, now)
                    .await?);
            }
            (Err(refused), _) => {
                return Err(self
                    .refuse(&claimant, attempt.as_ref(), &refused, now)
                    .await?);
            }
        };
        let actor = Actor::Account {
            id: account.id,
            username: account.username.clone(),
        };
        let zone = claimant
            .tenant
            .as_ref()
            .map_or_else(Zone::utc, |t| Zone::stored(&t.time_zone));
        if let Some((action, error)) =
            standing(&account, claimant.is_directory_account(), now, &zone)
        {
            self.record_login_refusal(&account, action, json!({}), &actor, &claimant.origin, now)
                .await?;
            return Err(error.into());
        }
        // Whoever was signed in on this browser is signed out first: the
        // person at the keyboard has just proven to be someone (else), and a
        // sign-in always gets a new session token (ASVS 5.0 V7.2.4). Their
        // seat is free before this sign-in counts the seats.
        self.logout(meta).await?;
        let opened = self
            .open_session(
                &account,
                person.as_ref(),
                attempt.as_ref(),
                &claimant.origin,
                now,
            )
            .await?;
        if proof.verification == crypto::Verified::Legacy {
            if let Some(old) = &proof.hash {
                self.upgrade_hash(tenant_row.id, account.id, old, password)
                    .await;
            }
        }
        self.logged_in(opened, claimant.origin, now)
    }

    /// Step 1: the organisation, the account and the directory the typed
    /// names mean, read in one transaction scoped to the typed organisation
    /// (which the throttle step goes on using). A malformed name cannot
    /// match anything: it is treated as unknown.
    async fn identify(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
    ) -> Result<(db::Tx, Claimant)> {
        let mut claimant = Claimant {
            slug: TenantSlug::parse(tenant)
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            typed_tenant: tenant.trim().to_owned(),
            claimed: audit::claimed(tenant, username),
            typed_username: username.to_owned(),
            origin: origin(meta),
            tenant: None,
            account: None,
            directory: None,
        };
        let mut conn = db::begin(&self.pool, Scope::TenantSlug(&claimant.slug)).await?;
        claimant.tenant = db::tenants::by_slug(&mut conn, &claimant.slug).await?;
        let Some(t) = &claimant.tenant else {
            return Ok((conn, claimant));
        };
        let mut account = match Username::lookup(username) {
            Ok(u) => db::accounts::for_login(&mut conn, t.id, &u.folded()).await?,
            Err(_) => None,
        };
        let directory = self
            .enabled_directory(&mut conn, t.id, super::directory::Lookup::Without)
            .await?;
        // `alice@rc.test` or `RC\alice` typed for the account `alice`.
        if let (None, Some(d)) = (&account, &directory) {
            let bare = d.bare_username(username);
            if bare != username.trim() {
                if let Ok(u) = Username::lookup(bare) {
                    account = db::accounts::for_login(&mut conn, t.id, &u.folded())
                        .await?
                        .filter(|a| a.account.account_type == AccountType::Directory.as_str());
                }
            }
        }
        claimant.account = account;
        claimant.directory = directory;
        Ok((conn, claimant))
    }

    /// Step 2: the throttle, checked before the password is looked at: a
    /// username or address that must wait is refused whatever the password
    /// (`429`, audited, the transaction committed). Keyed by the account's
    /// own username when there is one, so `RC\alice` and `alice@rc.test`
    /// count as `alice`. `None` when the organisation is unknown. Ends the
    /// look-up transaction of step 1.
    async fn throttle(
        &self,
        mut conn: db::Tx,
        claimant: &Claimant,
        meta: &RequestMeta,
    ) -> Result<Option<Attempt>> {
        let Some(t) = &claimant.tenant else {
            return Ok(None);
        };
        let key_name = claimant
            .account
            .as_ref()
            .map_or(claimant.typed_username.as_str(), |a| {
                a.account.username.as_str()
            });
        match throttle::begin_attempt(&mut conn, t.id, key_name, meta.ip.as_deref(), self.now())
            .await?
        {
            Ok(attempt) => Ok(Some(attempt)),
            Err(wait) => {
                refusals::record(
                    &mut conn,
                    audit::Event {
                        tenant_id: Some(t.id),
                        actor: &claimant.anonymous(),
                        action: Action::LoginRefusedThrottled,
                        target: None,
                        details: json!({ "retry_after": wait.retry_after }),
                        origin: &claimant.origin,
                        at: self.now(),
                    },
                )
                .await?;
                conn.commit().await?;
                Err(wait.into())
            }
        }
    }

    /// Step 3: proves the password: every attempt pays one argon2
    /// verification (a dummy one when there is no hash, as for directory
    /// accounts); a directory account binds to its directory, outside any
    /// transaction or lock. An unknown name, a wrong local password, or a
    /// directory account while directory sign-in is off is the same
    /// [`Refused::Credentials`] — unless the directory is down, which then
    /// answers every failure alike (a 503 must not single out directory
    /// accounts).
    async fn prove(&self, claimant: &Claimant, password: &Secret) -> Result<Proof> {
        let hash = claimant
            .account
            .as_ref()
            .and_then(|a| a.password_hash.clone());
        let verification = crypto::verify_password(hash.clone(), password.clone()).await?;
        let at = self.now();
        let directory_account = claimant.is_directory_account();
        let outcome = match (&claimant.account, &claimant.directory) {
            (Some(a), Some(d)) if directory_account => {
                match d.authenticate(&a.account.username, password.expose()).await {
                    Ok(Ok(person)) => Ok(person),
                    Ok(Err(Refusal::BadCredentials)) => Err(Refused::Credentials),
                    Ok(Err(r)) => Err(Refused::Directory(r)),
                    Err(f) => Err(Refused::Unavailable(f)),
                }
            }
            (Some(_), _) if !directory_account && verification.matched() => Ok(None),
            (_, Some(d)) => match d.probe(password.expose()).await {
                Ok(()) => Err(Refused::Credentials),
                Err(f) => Err(Refused::Unavailable(f)),
            },
            _ => Err(Refused::Credentials),
        };
        Ok(Proof {
            verification,
            hash,
            at,
            outcome,
        })
    }

    /// Step 4: a failed proof, in a transaction of its own: counted against
    /// the throttle when it was a wrong password or an unknown name (or one
    /// the directory outage kept from being told apart, unless it was a
    /// directory account's), and audited. A failed guess does not name the
    /// account it tried. Answers the error to return.
    async fn refuse(
        &self,
        claimant: &Claimant,
        attempt: Option<&Attempt>,
        refused: &Refused,
        now: OffsetDateTime,
    ) -> Result<crate::error::Error> {
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
                tracing::warn!(tenant = %claimant.typed_tenant, error = %f, "directory sign-in could not be checked");
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
        let scope = claimant
            .tenant
            .as_ref()
            .map_or(Scope::TenantSlug(&claimant.slug), |t| Scope::Tenant(t.id));
        let mut tx = db::begin(&self.pool, scope).await?;
        let failed = match refused {
            Refused::Credentials => true,
            Refused::Unavailable(_) => !claimant.is_directory_account(),
            Refused::Directory(_) => false,
        };
        let actor = claimant.anonymous();
        if let (Some(attempt), true) = (attempt, failed) {
            attempt
                .settle(&mut tx, Settled::Failed, &actor, &claimant.origin, now)
                .await?;
        }
        let known = claimant.tenant.as_ref().zip(claimant.account.as_ref());
        let target = match (refused, known) {
            (Refused::Credentials, _) | (_, None) => None,
            (_, Some((_, a))) => Some(audit::account_target(&a.account)),
        };
        audit::record(
            &mut tx,
            audit::Event {
                tenant_id: claimant.tenant.as_ref().map(|t| t.id),
                at: now,
                actor: &actor,
                action,
                target,
                details,
                origin: &claimant.origin,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(error.into())
    }

    /// Step 6: takes a seat for `account` and opens its session, in one
    /// transaction under the tenant's row lock ([`licensing::take_seat`]):
    /// settles the throttle `attempt` as a success (the password was right,
    /// seat or not), then either audits `login.refused_seats` and answers
    /// `409 seats_exhausted`, or inserts the session, audits
    /// `login.succeeded` and stores the directory's current names. An
    /// account deactivated, expired or deleted while its password was being
    /// checked is refused all the same, and audited.
    pub async fn open_session(
        &self,
        account: &AccountRow,
        person: Option<&DirectoryPerson>,
        attempt: Option<&Attempt>,
        origin: &Origin,
        now: OffsetDateTime,
    ) -> Result<Opened> {
        let actor = Actor::Account {
            id: account.id,
            username: account.username.clone(),
        };
        let (token, token_hash) = crypto::new_session_token()?;
        let mut tx = db::begin(&self.pool, Scope::Tenant(account.tenant_id)).await?;
        let seat =
            match licensing::take_seat(&mut tx, account.tenant_id, account, &actor, origin, now)
                .await
            {
                Ok(seat) => seat,
                Err(crate::error::Error::Api(refused)) => {
                    drop(tx);
                    let action = match refused.code {
                        ErrorCode::InvalidCredentials => Action::LoginFailed,
                        _ => Action::LoginRefusedInactive,
                    };
                    let details =
                        json!({ "reason": refused.code.as_str(), "changed_during_sign_in": true });
                    self.record_login_refusal(account, action, details, &actor, origin, now)
                        .await?;
                    return Err(refused.into());
                }
                Err(e) => return Err(e),
            };
        if let Some(attempt) = attempt {
            attempt
                .settle(&mut tx, Settled::Succeeded, &actor, origin, now)
                .await?;
        }
        let tenant = seat.tenant;
        if let Decision::Refuse(refusal) = seat.decision {
            audit::record(
                &mut tx,
                audit::Event::on_account(
                    account,
                    Action::LoginRefusedSeats,
                    json!({
                        "seat_limit": tenant.seat_limit,
                        "admin_reserve": tenant.admin_reserve,
                        "reason": refusal.as_str(),
                    }),
                    &actor,
                    origin,
                    now,
                ),
            )
            .await?;
            tx.commit().await?;
            let limit = u32::try_from(tenant.seat_limit).unwrap_or(0);
            return Err(ApiError::new(
                ErrorCode::SeatsExhausted,
                seats_message(limit, &tenant.name, refusal),
            )
            .into());
        }
        let session_id = db::sessions::insert(
            &mut tx,
            db::sessions::InsertSession {
                tenant_id: tenant.id,
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
                account,
                Action::LoginSucceeded,
                json!({ "session_id": session_id }),
                &actor,
                origin,
                now,
            ),
        )
        .await?;
        let mut account = account.clone();
        if let Some(person) = person {
            // Compared with the row as locked now, so two sign-ins at once
            // store and audit a change once.
            let current = db::accounts::lock(&mut tx, tenant.id, account.id)
                .await?
                .unwrap_or_else(|| account.clone());
            let names = super::directory::record_directory_names(
                &mut tx, &current, person, &actor, origin, now,
            )
            .await?;
            if let Some([first, last, email]) = names {
                account.first_name = first;
                account.last_name = last;
                account.email = email;
            }
        }
        tx.commit().await?;
        Ok(Opened {
            session_id,
            token,
            tenant,
            account,
        })
    }

    /// What the browser is told about the session just opened.
    fn logged_in(&self, opened: Opened, origin: Origin, now: OffsetDateTime) -> Result<LoggedIn> {
        let Opened {
            session_id,
            token,
            tenant,
            account,
        } = opened;
        let caller = Caller::from_row(
            db::sessions::SessionContextRow {
                session_id,
                tenant_id: tenant.id,
                tenant_slug: tenant.slug,
                tenant_name: tenant.name,
                idle_lease_seconds: tenant.idle_lease_seconds,
                account_id: account.id,
                username: account.username,
                first_name: account.first_name,
                last_name: account.last_name,
                role: account.role,
                account_type: account.account_type,
                must_change_password: account.must_change_password,
                rotate_password: account.rotate_password,
                password_changed_at: account.password_changed_at,
                time_zone: tenant.time_zone,
                password_policy: tenant.password_policy,
            },
            origin,
            now,
        )?;
        Ok(LoggedIn {
            session: caller.session_info(self.settings.heartbeat_seconds),
            token,
        })
    }

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
        account: &AccountRow,
        action: Action,
        details: serde_json::Value,
        actor: &Actor,
        origin: &Origin,
        now: OffsetDateTime,
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
}

#[cfg(test)]
mod tests {
    use super::{seats_message, SeatRefusal};

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
