//! Concurrent-seat licensing. A seat is a person: every open session of one
//! account shares that account's seat ("the only limit that matters is how
//! many users are logged in simultaneously", vendor page
//! `000_cf546f5a3a895983.txt`). The rules are [`decide`], a pure function;
//! they are applied inside Postgres, under the tenant row's lock, in the
//! transaction that inserts the session — never in process memory, since
//! many server instances answer at once.

use super::audit::{self, Action};
use super::caller::{Actor, AdminCaller, Origin};
use super::Services;
use crate::db::{self, tenants::TenantRow};
use crate::error::Result;
use app::model::{
    AccountId, ApiError, LicenseInfo, Role, SeatDevice, SeatHolder, SignOutAnswer, WhenFull,
};
use serde_json::json;
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// One person holding a seat, as the seat rule sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holding {
    pub account_id: Uuid,
    pub administrator: bool,
    /// Their latest activity on any device (a request, or input reported
    /// with a heartbeat; heartbeats alone do not count).
    pub last_active: OffsetDateTime,
    /// Their open sessions.
    pub sessions: u32,
}

/// A tenant's seat settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatRules {
    pub seats: u32,
    /// Seats only administrators may take (0, or fewer than `seats`).
    pub admin_reserve: u32,
    /// Devices one person may keep signed in at once (at least 1).
    pub sessions_per_person: u32,
    pub when_full: WhenFull,
    /// With [`WhenFull::EvictIdle`]: the least idle time that loses a seat.
    pub evict_idle: Duration,
}

impl SeatRules {
    pub fn of(t: &TenantRow) -> Self {
        let n = |v: i32| u32::try_from(v).unwrap_or(0);
        SeatRules {
            seats: n(t.seat_limit),
            admin_reserve: n(t.admin_reserve),
            sessions_per_person: n(t.sessions_per_person).max(1),
            when_full: WhenFull::parse(&t.when_full).unwrap_or_default(),
            evict_idle: Duration::minutes(i64::from(t.evict_idle_minutes)),
        }
    }

    /// Whether `people` holders, `users` of them not administrators, leave
    /// room for one more: a free seat, and for a non-administrator one
    /// outside the reserve (`users < seats - reserve`; administrators fill
    /// the reserve first).
    fn room(&self, people: u32, users: u32, administrator: bool) -> bool {
        people < self.seats
            && (administrator || users < self.seats.saturating_sub(self.admin_reserve))
    }
}

/// Why a sign-in gets no seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatRefusal {
    /// Every seat is held: "the most recent connection is dropped".
    Full,
    /// The only free seats are reserved for administrators.
    Reserved,
}

impl SeatRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            SeatRefusal::Full => "tenant_full",
            SeatRefusal::Reserved => "reserved_for_administrators",
        }
    }
}

/// What a sign-in does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Admit {
        /// A person signed out first to free their seat (eviction policy).
        evict: Option<Uuid>,
        /// How many of the entrant's own longest-idle sessions end first
        /// (their device limit).
        end_own: u32,
    },
    Refuse(SeatRefusal),
}

/// The seat rule for `entrant` signing in while `holding` hold seats at
/// `now`. Someone who already holds a seat keeps it and only their device
/// limit applies; anyone else needs [`SeatRules::room`], or, under
/// [`WhenFull::EvictIdle`], the seat of the person idle longest (at least
/// `evict_idle`) whose leaving makes room.
pub fn decide(
    rules: &SeatRules,
    holding: &[Holding],
    entrant: Uuid,
    administrator: bool,
    now: OffsetDateTime,
) -> Decision {
    let count = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    let own = holding
        .iter()
        .find(|h| h.account_id == entrant)
        .map(|h| h.sessions);
    let people = count(holding.len());
    let users = count(holding.iter().filter(|h| !h.administrator).count());
    if let Some(decision) = decide_by_counts(rules, own, people, users, administrator) {
        return decision;
    }
    let mut idle: Vec<&Holding> = holding
        .iter()
        .filter(|h| h.last_active <= now - rules.evict_idle)
        .collect();
    idle.sort_by_key(|h| (h.last_active, h.account_id));
    let freed = idle.into_iter().find(|h| {
        rules.room(
            people - 1,
            users - u32::from(!h.administrator),
            administrator,
        )
    });
    match freed {
        Some(h) => Decision::Admit {
            evict: Some(h.account_id),
            end_own: 0,
        },
        None => refusal(rules, people),
    }
}

/// What [`decide`] answers from counts alone: the entrant's own open
/// sessions (`None`: they hold no seat), the people holding seats and how
/// many of them are not administrators. `None` when the eviction policy
/// must look at who is idle. The sign-in takes this path first, so a
/// tenant with a free seat never lists its holders.
pub fn decide_by_counts(
    rules: &SeatRules,
    own: Option<u32>,
    people: u32,
    users: u32,
    administrator: bool,
) -> Option<Decision> {
    if let Some(sessions) = own {
        return Some(Decision::Admit {
            evict: None,
            end_own: (sessions + 1).saturating_sub(rules.sessions_per_person),
        });
    }
    if rules.room(people, users, administrator) {
        return Some(Decision::Admit {
            evict: None,
            end_own: 0,
        });
    }
    (rules.when_full != WhenFull::EvictIdle).then(|| refusal(rules, people))
}

fn refusal(rules: &SeatRules, people: u32) -> Decision {
    Decision::Refuse(if people < rules.seats {
        SeatRefusal::Reserved
    } else {
        SeatRefusal::Full
    })
}

/// A sign-in's seat, taken: the tenant (locked) and what was done for it.
pub struct SeatTaken {
    pub tenant: TenantRow,
    pub decision: Decision,
}

/// Locks the tenant, frees seats whose lease or lifetime ran out, and
/// decides for `account`. Must run inside the transaction that will insert
/// the session; on [`Decision::Admit`] this has already ended the sessions
/// it names (and audited that), so the caller only inserts.
pub async fn take_seat(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    account: &db::accounts::AccountRow,
    actor: &Actor,
    origin: &Origin,
    now: OffsetDateTime,
) -> Result<SeatTaken> {
    let tenant = db::tenants::lock(tx, tenant_id).await?;
    // The account as it is now, locked: a deactivation or a new role that
    // committed since the password was checked counts.
    let account = db::accounts::lock(tx, tenant_id, account.id)
        .await?
        .ok_or_else(ApiError::invalid_credentials)?;
    if account.status != app::model::AccountStatus::Active.as_str()
        || account
            .expires_on
            .is_some_and(|d| d <= crate::zone::Zone::stored(&tenant.time_zone).date_of(now))
    {
        return Err(ApiError::new(
            app::model::ErrorCode::AccountInactive,
            "This account was deactivated or expired a moment ago. Ask your administrator.",
        )
        .into());
    }
    let account = &account;
    db::sessions::reclaim_expired(tx, tenant_id, now, tenant.idle_lease_seconds).await?;
    db::sessions::end_expired_accounts(tx, tenant_id, now).await?;
    let rules = SeatRules::of(&tenant);
    let administrator = account.role == Role::Administrator.as_str();
    // Counts first (index-only); the holders are listed only when the
    // eviction policy must choose among them.
    let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let own = n(db::sessions::open_count_of(tx, account.id).await?);
    let people = n(db::sessions::people_count(tx, tenant_id).await?);
    let users = if rules.admin_reserve > 0 && !administrator {
        n(db::sessions::users_count(tx, tenant_id).await?)
    } else {
        // Not looked at: the reserve is empty (fewer users than people
        // than seats), or the entrant is an administrator.
        people
    };
    let quick = decide_by_counts(
        &rules,
        (own > 0).then_some(own),
        people,
        users,
        administrator,
    );
    let mut holding: Vec<Holding> = Vec::new();
    let mut decision = match quick {
        Some(decision) => decision,
        None => {
            holding = db::sessions::people_holding(tx, tenant_id)
                .await?
                .into_iter()
                .map(|r| Holding {
                    account_id: r.account_id,
                    administrator: r.role == Role::Administrator.as_str(),
                    last_active: r.active_at,
                    sessions: u32::try_from(r.sessions).unwrap_or(u32::MAX),
                })
                .collect();
            decide(&rules, &holding, account.id, administrator, now)
        }
    };
    // The one to evict was idle when counted; a request of theirs may have
    // landed since. Checked again with their sessions locked.
    if let Decision::Admit {
        evict: Some(evicted),
        ..
    } = decision
    {
        let active = db::sessions::lock_activity(tx, evicted).await?;
        if active.is_some_and(|t| t > now - rules.evict_idle) {
            decision = Decision::Refuse(SeatRefusal::Full);
        }
    }
    if let Decision::Admit { evict, end_own } = &decision {
        if *end_own > 0 {
            let ended = db::sessions::end_idlest(
                tx,
                account.id,
                i64::from(rules.sessions_per_person - 1),
                now,
            )
            .await?;
            audit::record(
                tx,
                audit::Event::on_account(
                    account,
                    Action::SeatDeviceLimit,
                    json!({ "sessions_ended": ended, "sessions_per_person": rules.sessions_per_person }),
                    actor,
                    origin,
                    now,
                ),
            )
            .await?;
        }
        // An account deleted since it was counted took its sessions with
        // it: its seat is free already, nobody to sign out.
        let person = match evict {
            Some(evicted) => db::accounts::lock(tx, tenant_id, *evicted).await?,
            None => None,
        };
        if let (Some(evicted), Some(person)) = (evict, person) {
            let idle_since = holding
                .iter()
                .find(|h| h.account_id == *evicted)
                .map(|h| h.last_active);
            let ended = db::sessions::end_for_account(
                tx,
                *evicted,
                now,
                db::sessions::EndReason::Evicted,
                None,
            )
            .await?;
            audit::record(
                tx,
                audit::Event::on_account(
                    &person,
                    Action::SeatEvicted,
                    json!({
                        "signed_in": account.username,
                        "idle_minutes": idle_since.map(|t| (now - t).whole_minutes()),
                        "sessions_ended": ended,
                    }),
                    actor,
                    origin,
                    now,
                ),
            )
            .await?;
        }
    }
    Ok(SeatTaken { tenant, decision })
}

impl Services {
    /// The License page: seats owned, reserved, in use, and who holds them
    /// with their devices.
    pub async fn license(&self, admin: &AdminCaller) -> Result<LicenseInfo> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        let tenant_id = admin.tenant_id.as_uuid();
        let tenant = db::tenants::by_id(&mut conn, tenant_id)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        let sessions =
            db::sessions::holders(&mut conn, tenant_id, self.now(), tenant.idle_lease_seconds)
                .await?;
        let mut holders: Vec<SeatHolder> = Vec::new();
        // Rows come ordered by each person's first session, then by session.
        for s in sessions {
            let device = SeatDevice {
                since: s.since,
                last_seen: s.last_seen,
                last_active: s.active_at,
                user_agent: s.user_agent,
                ip: s.ip,
            };
            match holders
                .iter_mut()
                .find(|h| h.account_id.as_uuid() == s.account_id)
            {
                Some(h) => {
                    h.last_seen = h.last_seen.max(device.last_seen);
                    h.last_active = h.last_active.max(device.last_active);
                    h.devices.push(device);
                }
                None => holders.push(SeatHolder {
                    account_id: AccountId::from_uuid(s.account_id),
                    username: s.username,
                    full_name: format!("{} {}", s.first_name, s.last_name),
                    role: Role::parse(&s.role).unwrap_or(Role::User),
                    since: device.since,
                    last_seen: device.last_seen,
                    last_active: device.last_active,
                    devices: vec![device],
                }),
            }
        }
        for h in &mut holders {
            h.devices
                .sort_by_key(|d| std::cmp::Reverse((d.last_active, d.since)));
        }
        let rules = SeatRules::of(&tenant);
        Ok(LicenseInfo {
            tenant_name: tenant.name,
            seats_owned: rules.seats,
            seats_in_use: u32::try_from(holders.len()).unwrap_or(u32::MAX),
            seats_reserved: rules.admin_reserve,
            idle_lease_seconds: u32::try_from(tenant.idle_lease_seconds).unwrap_or(0),
            sessions_per_person: rules.sessions_per_person,
            when_full: rules.when_full,
            evict_idle_minutes: u32::try_from(tenant.evict_idle_minutes).unwrap_or(0),
            holders,
        })
    }

    /// Ends every session of `account_id` (License page, "Sign out"), so
    /// their seat is free at once; their browser is told
    /// [`app::model::SessionEnd::SignedOut`]. Errors: `422 validation`
    /// (`account_id`) for yourself; `404` for an account of another tenant
    /// or none. Audited as `seat.signed_out_by_admin` when it ended any.
    pub async fn sign_out_holder(
        &self,
        admin: &AdminCaller,
        account_id: AccountId,
    ) -> Result<SignOutAnswer> {
        if account_id == admin.account_id {
            return Err(ApiError::validation(
                "account_id",
                "You cannot sign yourself out from the License page: use Sign out in the menu.",
            )
            .into());
        }
        let now = self.now();
        let tenant_id = admin.tenant_id.as_uuid();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        // Tenant first, as sign-ins and account changes lock: no deadlock.
        db::tenants::lock(&mut tx, tenant_id).await?;
        let person = db::accounts::lock(&mut tx, tenant_id, account_id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        let ended = db::sessions::end_for_account(
            &mut tx,
            person.id,
            now,
            db::sessions::EndReason::SignedOutByAdmin,
            None,
        )
        .await?;
        if ended > 0 {
            audit::record(
                &mut tx,
                audit::Event::on_account(
                    &person,
                    Action::SeatSignedOutByAdmin,
                    json!({ "sessions_ended": ended }),
                    admin.actor(),
                    &admin.origin,
                    now,
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(SignOutAnswer {
            sessions_ended: u32::try_from(ended).unwrap_or(u32::MAX),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(minute: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::minutes(minute)
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn holder(n: u128, administrator: bool, last_active: i64, sessions: u32) -> Holding {
        Holding {
            account_id: id(n),
            administrator,
            last_active: at(last_active),
            sessions,
        }
    }

    fn rules(seats: u32, admin_reserve: u32, when_full: WhenFull) -> SeatRules {
        SeatRules {
            seats,
            admin_reserve,
            sessions_per_person: 3,
            when_full,
            evict_idle: Duration::minutes(30),
        }
    }

    const ADMIT: Decision = Decision::Admit {
        evict: None,
        end_own: 0,
    };

    #[test]
    fn a_person_on_more_devices_keeps_one_seat() {
        let r = rules(1, 0, WhenFull::Refuse);
        let held = [holder(1, false, 0, 2)];
        assert_eq!(decide(&r, &held, id(1), false, at(1)), ADMIT);
        let held = [holder(1, false, 0, 3)];
        assert_eq!(
            decide(&r, &held, id(1), false, at(1)),
            Decision::Admit {
                evict: None,
                end_own: 1
            },
            "the fourth device ends the longest-idle one"
        );
        // A limit lowered below what someone holds ends all the excess.
        let r = SeatRules {
            sessions_per_person: 1,
            ..r
        };
        let held = [holder(1, false, 0, 3)];
        assert_eq!(
            decide(&r, &held, id(1), false, at(1)),
            Decision::Admit {
                evict: None,
                end_own: 3
            }
        );
        assert_eq!(
            decide(&r, &held, id(2), false, at(1)),
            Decision::Refuse(SeatRefusal::Full)
        );
    }

    #[test]
    fn the_reserve_admits_administrators_only() {
        let r = rules(3, 1, WhenFull::Refuse);
        let two_users = [holder(1, false, 0, 1), holder(2, false, 0, 1)];
        assert_eq!(
            decide(&r, &two_users, id(9), false, at(1)),
            Decision::Refuse(SeatRefusal::Reserved)
        );
        assert_eq!(decide(&r, &two_users, id(9), true, at(1)), ADMIT);
        // Administrators fill the reserve first: with one signed in, the
        // remaining seat is open to a user.
        let mixed = [holder(1, true, 0, 1), holder(2, false, 0, 1)];
        assert_eq!(decide(&r, &mixed, id(9), false, at(1)), ADMIT);
        // No seats at all.
        assert_eq!(
            decide(&rules(0, 0, WhenFull::Refuse), &[], id(9), true, at(1)),
            Decision::Refuse(SeatRefusal::Full)
        );
    }

    #[test]
    fn eviction_takes_the_idlest_person_idle_long_enough() {
        let r = rules(2, 0, WhenFull::EvictIdle);
        // Idle 40 and 50 minutes at minute 60: the idlest goes.
        let held = [holder(1, false, 20, 1), holder(2, false, 10, 2)];
        assert_eq!(
            decide(&r, &held, id(9), false, at(60)),
            Decision::Admit {
                evict: Some(id(2)),
                end_own: 0
            }
        );
        // Nobody idle 30 minutes: refused.
        assert_eq!(
            decide(&r, &held, id(9), false, at(35)),
            Decision::Refuse(SeatRefusal::Full)
        );
        // Refusing is the default policy, however idle.
        assert_eq!(
            decide(&rules(2, 0, WhenFull::Refuse), &held, id(9), false, at(600)),
            Decision::Refuse(SeatRefusal::Full)
        );
    }

    #[test]
    fn eviction_for_a_user_never_empties_the_reserve() {
        // 3 seats, 1 reserved: an idle administrator inside the reserve
        // would not make room for a user; the idle user does.
        let r = rules(3, 1, WhenFull::EvictIdle);
        let held = [
            holder(1, true, 0, 1),
            holder(2, false, 10, 1),
            holder(3, false, 50, 1),
        ];
        assert_eq!(
            decide(&r, &held, id(9), false, at(100)),
            Decision::Admit {
                evict: Some(id(2)),
                end_own: 0
            }
        );
        // For an administrator, the idlest of all.
        assert_eq!(
            decide(&r, &held, id(9), true, at(100)),
            Decision::Admit {
                evict: Some(id(1)),
                end_own: 0
            }
        );
    }

    fn scenario() -> impl Strategy<Value = (SeatRules, Vec<Holding>, u128, bool, i64)> {
        (1u32..8, 0u32..8, 1u32..4, any::<bool>(), 0i64..60)
            .prop_flat_map(|(seats, reserve, per_person, evict, idle)| {
                let reserve = reserve.min(seats - 1);
                let r = SeatRules {
                    seats,
                    admin_reserve: reserve,
                    sessions_per_person: per_person,
                    when_full: if evict {
                        WhenFull::EvictIdle
                    } else {
                        WhenFull::Refuse
                    },
                    evict_idle: Duration::minutes(idle),
                };
                let people = prop::collection::vec(
                    (any::<bool>(), 0i64..120, 1u32..=per_person),
                    0..=seats as usize,
                );
                (Just(r), people, 0u128..12, any::<bool>(), 0i64..200)
            })
            .prop_map(|(r, people, entrant, admin, now)| {
                let holding = people
                    .into_iter()
                    .enumerate()
                    .map(|(i, (a, seen, s))| holder(i as u128, a, seen.min(now), s))
                    .collect();
                (r, holding, entrant, admin, now)
            })
    }

    proptest! {
        /// The sign-in's shortcut (counts, and no users count unless the
        /// reserve matters) answers as the full rule does whenever it answers.
        #[test]
        fn the_counts_shortcut_agrees((r, holding, entrant, admin, now) in scenario()) {
            let own = holding.iter().find(|h| h.account_id == id(entrant)).map(|h| h.sessions);
            let people = holding.len() as u32;
            let users = if r.admin_reserve > 0 && !admin {
                holding.iter().filter(|h| !h.administrator).count() as u32
            } else {
                people
            };
            if let Some(quick) = decide_by_counts(&r, own, people, users, admin) {
                prop_assert_eq!(quick, decide(&r, &holding, id(entrant), admin, at(now)));
            }
        }

        /// Whatever the state, admitting never takes more people than seats
        /// nor users into the reserve (beyond what they already held), and
        /// only someone idle long enough is evicted.
        #[test]
        fn never_beyond_either_cap((r, holding, entrant, admin, now) in scenario()) {
            let now = at(now);
            let before_users = holding.iter().filter(|h| !h.administrator).count() as u32;
            match decide(&r, &holding, id(entrant), admin, now) {
                Decision::Refuse(_) => {
                    prop_assert!(!holding.iter().any(|h| h.account_id == id(entrant)));
                }
                Decision::Admit { evict, end_own } => {
                    let mut after: Vec<&Holding> = holding.iter()
                        .filter(|h| Some(h.account_id) != evict)
                        .collect();
                    let entrant_row = Holding {
                        account_id: id(entrant), administrator: admin,
                        last_active: now, sessions: 1,
                    };
                    let own = holding.iter().find(|h| h.account_id == id(entrant));
                    if own.is_none() {
                        after.push(&entrant_row);
                    }
                    prop_assert!(after.len() as u32 <= r.seats);
                    let users = after.iter().filter(|h| !h.administrator).count() as u32;
                    prop_assert!(
                        users <= r.seats - r.admin_reserve || users <= before_users,
                        "users {users} in the reserve"
                    );
                    if let Some(e) = evict {
                        let gone = holding.iter().find(|h| h.account_id == e).unwrap();
                        prop_assert!(gone.last_active <= now - r.evict_idle);
                        prop_assert_eq!(r.when_full, WhenFull::EvictIdle);
                    }
                    let sessions = own.map_or(1, |o| o.sessions + 1 - end_own);
                    prop_assert!(sessions <= r.sessions_per_person);
                }
            }
        }
    }
}
