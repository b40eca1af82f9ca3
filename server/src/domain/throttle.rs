//! Sign-in throttling, never a lockout (OWASP ASVS 5.0 V6.3.1; NIST SP
//! 800-63B §5.2.2 rate limiting).
//!
//! Each failure is counted in three scopes: the username from this client
//! address, the username from anywhere, and this address with any username
//! of the tenant; each attempt is checked against them before its password. Once a scope has had
//! `threshold` consecutive failures, the next attempt must wait
//! 2^(failures − threshold) seconds after the last one (1 s, 2 s, 4 s …,
//! at most 15 minutes): it is answered `429 too_many_attempts` with
//! `Retry-After`, without looking at the password. A success forgets the
//! username's failures; failures older than an hour are forgotten too.
//! Usernames that name no account count the same, so a 429 tells nothing
//! about which accounts exist.

use super::audit::{self, Action};
use super::caller::{Actor, AdminCaller, Origin};
use super::Services;
use crate::db::{self, throttles};
use crate::error::Result;
use app::model::accounts::SignInThrottle;
use app::model::{text, AccountId, ApiError, Username};
use serde_json::json;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The longest wait (15 minutes).
pub const MAX_WAIT_SECONDS: i64 = 900;
/// Failures further apart than this start the count again.
pub const FORGET_AFTER: Duration = Duration::hours(1);
/// The longest username kept as a key (a longer one cannot be an account's).
const KEY_CHARS: usize = 200;

/// Where failures are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleScope {
    /// One username from one client address.
    AccountAddress,
    /// One username from any address: guesses spread over many addresses.
    Account,
    /// One address, any username: one client guessing across accounts.
    Address,
}

impl ThrottleScope {
    pub const ALL: [ThrottleScope; 3] = [
        ThrottleScope::AccountAddress,
        ThrottleScope::Account,
        ThrottleScope::Address,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ThrottleScope::AccountAddress => "account_address",
            ThrottleScope::Account => "account",
            ThrottleScope::Address => "address",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Consecutive failures before attempts must wait.
    pub fn threshold(self) -> i32 {
        match self {
            ThrottleScope::AccountAddress => 5,
            ThrottleScope::Account => 50,
            ThrottleScope::Address => 30,
        }
    }

    /// Whether `attempt` is counted in this scope: the address scopes need
    /// an address (without one, every such client would share a count).
    fn applies(self, attempt: &Attempt) -> bool {
        self == ThrottleScope::Account || !attempt.address.is_empty()
    }

    /// The row key of this scope for `attempt`.
    fn key(self, attempt: &Attempt) -> (&'static str, &str, &str) {
        let (user, address) = match self {
            ThrottleScope::AccountAddress => {
                (attempt.username_key.as_str(), attempt.address.as_str())
            }
            ThrottleScope::Account => (attempt.username_key.as_str(), ""),
            ThrottleScope::Address => ("", attempt.address.as_str()),
        };
        (self.as_str(), user, address)
    }
}

/// How long after the last of `failures` consecutive failures the next
/// attempt may come, in a scope with `threshold`: nothing below it, then
/// 1 s, 2 s, 4 s … up to [`MAX_WAIT_SECONDS`].
pub fn wait_after(failures: i32, threshold: i32) -> Option<Duration> {
    let over = failures - threshold;
    if over < 0 {
        return None;
    }
    let seconds = if over >= 10 {
        MAX_WAIT_SECONDS
    } else {
        (1_i64 << over).min(MAX_WAIT_SECONDS)
    };
    Some(Duration::seconds(seconds))
}

/// Seconds left to wait at `now` in a scope, if any.
fn remaining(
    scope: ThrottleScope,
    failures: i32,
    last: OffsetDateTime,
    now: OffsetDateTime,
) -> Option<i64> {
    if now - last >= FORGET_AFTER {
        return None;
    }
    let left = last + wait_after(failures, scope.threshold())? - now;
    (left > Duration::ZERO).then(|| {
        let whole = left.whole_seconds();
        if left > Duration::seconds(whole) {
            whole + 1
        } else {
            whole
        }
    })
}

/// One sign-in (or reset request) that was let through.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub tenant_id: Uuid,
    pub username_key: String,
    pub address: String,
}

/// The key of a client address: IPv4 as it is, IPv6 by its /64 (one
/// subscriber's network: a client can take any address in it).
pub fn address_key(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(ip) => ip.to_string(),
        Err(_) => address.to_owned(),
    }
}

/// The key of a typed username: as the account's `username_key` when it is
/// a valid username, else folded all the same.
pub fn username_key(typed: &str) -> String {
    let key = Username::lookup(typed).map_or_else(|_| text::fold(typed.trim()), |u| u.folded());
    key.chars().take(KEY_CHARS).collect()
}

/// The `429` for a wait of `seconds`.
pub fn too_many_attempts(seconds: i64) -> ApiError {
    let seconds = u32::try_from(seconds.max(1)).unwrap_or(u32::MAX);
    let wait = if seconds < 90 {
        format!("{seconds} second{}", if seconds == 1 { "" } else { "s" })
    } else {
        let minutes = seconds.div_ceil(60);
        format!("{minutes} minutes")
    };
    ApiError::too_many_attempts(
        format!("Too many failed attempts. Wait {wait}, then try again. If you have forgotten your password, use “Forgot password?”."),
        seconds,
    )
}

/// Lets an attempt through, or answers the `429` when one of its scopes must
/// still wait. Failures are counted once they are known ([`Attempt::settle`]),
/// so attempts already in flight when a scope reaches its threshold are not
/// stopped: at most as many as run at once (the hashing pool bounds that).
pub async fn begin_attempt(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    typed_username: &str,
    address: Option<&str>,
    now: OffsetDateTime,
) -> Result<std::result::Result<Attempt, ApiError>> {
    let attempt = Attempt {
        tenant_id,
        username_key: username_key(typed_username),
        address: address.map(address_key).unwrap_or_default(),
    };
    let rows =
        throttles::for_attempt(conn, tenant_id, &attempt.username_key, &attempt.address).await?;
    let wait = rows
        .iter()
        .filter_map(|r| {
            remaining(
                ThrottleScope::parse(&r.scope)?,
                r.failures,
                r.last_failure_at,
                now,
            )
        })
        .max();
    Ok(match wait {
        Some(seconds) => Err(too_many_attempts(seconds)),
        None => Ok(attempt),
    })
}

/// What became of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// A wrong password or unknown username: counted in every scope.
    Failed,
    /// A password reset request: counted for its address only, so nobody
    /// can slow someone else's sign-in by asking resets in their name.
    Requested,
    /// The right password: the username's failures are forgotten (the
    /// address's are not, or one account of the attacker's would wipe them).
    Succeeded,
}

impl Attempt {
    /// Settles the attempt in `conn` (the transaction of its audit event).
    /// A failure that brings a scope to its threshold starts a throttle,
    /// which is audited as `login.throttled`.
    pub async fn settle(
        &self,
        conn: &mut PgConnection,
        outcome: Settled,
        actor: &Actor,
        origin: &Origin,
        now: OffsetDateTime,
    ) -> Result<()> {
        match outcome {
            Settled::Failed | Settled::Requested => {
                // In key order (`account` < `account_address` < `address`),
                // as the clearing DELETE takes them: no lock-order deadlock.
                let mut scopes = ThrottleScope::ALL;
                scopes.sort_by_key(|s| s.as_str());
                for scope in scopes {
                    if !scope.applies(self)
                        || (outcome == Settled::Requested && scope != ThrottleScope::Address)
                    {
                        continue;
                    }
                    let failures = throttles::count_failure(
                        conn,
                        self.tenant_id,
                        scope.key(self),
                        now,
                        now - FORGET_AFTER,
                    )
                    .await?;
                    if failures == scope.threshold() {
                        audit::record(
                            conn,
                            audit::Event {
                                tenant_id: Some(self.tenant_id),
                                at: now,
                                actor,
                                action: Action::LoginThrottled,
                                target: None,
                                details: json!({
                                    "scope": scope.as_str(),
                                    "username": (scope != ThrottleScope::Address).then_some(&self.username_key),
                                    "address": (scope != ThrottleScope::Account).then_some(&self.address),
                                    "failures": failures,
                                }),
                                origin,
                            },
                        )
                        .await?;
                    }
                }
            }
            Settled::Succeeded => {
                throttles::clear_username(conn, self.tenant_id, &self.username_key).await?;
            }
        }
        Ok(())
    }
}

/// What the account page shows of an account's throttles: the scopes that
/// have reached their threshold in the last hour.
pub async fn account_throttles(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username_key: &str,
    now: OffsetDateTime,
) -> Result<Vec<SignInThrottle>> {
    let rows = throttles::for_username(conn, tenant_id, username_key).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let scope = ThrottleScope::parse(&r.scope)?;
            if now - r.last_failure_at >= FORGET_AFTER || r.failures < scope.threshold() {
                return None;
            }
            let until = r.last_failure_at + wait_after(r.failures, scope.threshold())?;
            Some(SignInThrottle {
                address: (scope == ThrottleScope::AccountAddress).then_some(r.address),
                failures: u32::try_from(r.failures).unwrap_or(0),
                last_failure_at: r.last_failure_at,
                waits_until: until,
            })
        })
        .collect())
}

/// Forgets `username`'s failed sign-ins (its password was just set).
pub async fn forget_username(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    username: &str,
) -> Result<()> {
    throttles::clear_username(conn, tenant_id, &username_key(username)).await?;
    Ok(())
}

impl Services {
    /// `POST /api/accounts/clear-throttle`: forgets an account's failed
    /// sign-ins, so it may sign in at once from anywhere. Audited.
    pub async fn clear_throttle(&self, admin: &AdminCaller, id: AccountId) -> Result<u64> {
        let tenant_id = admin.tenant_id.as_uuid();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let account = db::accounts::get(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        let cleared =
            throttles::clear_username(&mut tx, tenant_id, &username_key(&account.username)).await?;
        audit::record(
            &mut tx,
            audit::Event::on_account(
                &account,
                Action::LoginThrottleCleared,
                json!({ "cleared": cleared }),
                admin.actor(),
                &admin.origin,
                self.now(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(cleared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn waits_double_from_the_threshold_and_stop_at_fifteen_minutes() {
        let t = ThrottleScope::AccountAddress.threshold();
        assert_eq!(wait_after(t - 1, t), None);
        let waits: Vec<i64> = (t..t + 12)
            .map(|f| wait_after(f, t).unwrap().whole_seconds())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]);
        assert_eq!(wait_after(i32::MAX, t).unwrap().whole_seconds(), 900);
    }

    #[test]
    fn remaining_rounds_up_and_forgets_after_an_hour() {
        let last = datetime!(2026-11-30 09:00 UTC);
        let s = ThrottleScope::AccountAddress;
        // 6 failures: 2 s after the last.
        assert_eq!(
            remaining(s, 6, last, last + Duration::milliseconds(500)),
            Some(2)
        );
        assert_eq!(remaining(s, 6, last, last + Duration::seconds(2)), None);
        assert_eq!(remaining(s, 4, last, last), None);
        assert_eq!(
            remaining(s, 100, last, last + Duration::minutes(14)),
            Some(60)
        );
        assert_eq!(remaining(s, 100, last, last + Duration::hours(1)), None);
    }

    #[test]
    fn spread_and_sprayed_guesses_have_higher_thresholds() {
        let [pair, account, address] = ThrottleScope::ALL.map(ThrottleScope::threshold);
        assert!(pair < address && address < account);
    }

    #[test]
    fn the_message_says_how_long() {
        assert!(too_many_attempts(1).message.contains("Wait 1 second,"));
        assert!(too_many_attempts(30).message.contains("Wait 30 seconds,"));
        assert!(too_many_attempts(900).message.contains("Wait 15 minutes,"));
        assert_eq!(too_many_attempts(0).retry_after, Some(1));
    }

    #[test]
    fn addresses_key_ipv6_by_its_64() {
        assert_eq!(address_key("203.0.113.5"), "203.0.113.5");
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
    }

    #[test]
    fn usernames_key_as_accounts_do() {
        assert_eq!(username_key(" Alice "), "alice");
        assert_eq!(username_key(&"x".repeat(500)).chars().count(), KEY_CHARS);
    }
}
