use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Ends the tenant's sessions whose lease ran out or that reached the
/// tenant's session lifetime, recording when and which came first, so they
/// no longer count. Called under the tenant's lock before counting.
pub async fn reclaim_expired(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    now: OffsetDateTime,
    lease_seconds: i32,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE sessions s
         SET ended_at = rollcall_lapse_at(s.last_seen_at, s.created_at, $3::int4,
                                          t.session_lifetime_hours),
             end_reason = rollcall_lapse_reason(s.last_seen_at, s.created_at, $3::int4,
                                                t.session_lifetime_hours)
         FROM tenants t
         WHERE t.id = $1 AND s.tenant_id = $1 AND s.ended_at IS NULL
           AND (s.last_seen_at <= $2::timestamptz - make_interval(secs => $3::int4)
                OR s.created_at <= $2::timestamptz - make_interval(hours => t.session_lifetime_hours))",
        tenant_id,
        now,
        lease_seconds
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Ends the tenant's open sessions whose account's expiry date has come
/// (00:00 on that date in the tenant's time zone), so their seats are free.
/// They end at that midnight, never later than `now`: on a day whose
/// midnight happens twice (America/Havana, 1 November) PostgreSQL reads
/// 00:00 as the later one, the date turns at the earlier. Called under the
/// tenant's lock before counting, and on every authentication.
pub async fn end_expired_accounts(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE sessions s
         SET ended_at = GREATEST(s.created_at,
                                 LEAST($2, a.expires_on::timestamp AT TIME ZONE t.time_zone)),
             end_reason = 'account_expired'
         FROM accounts a, tenants t
         WHERE s.tenant_id = $1 AND s.ended_at IS NULL AND a.id = s.account_id
           AND t.id = s.tenant_id
           AND a.expires_on <= ($2::timestamptz AT TIME ZONE t.time_zone)::date",
        tenant_id,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// A person with open sessions: they hold one seat.
pub struct PersonHoldingRow {
    pub account_id: Uuid,
    pub role: String,
    /// Their latest activity on any device (not heartbeats).
    pub active_at: OffsetDateTime,
    pub sessions: i64,
}

/// The tenant's open sessions grouped by person. Called under the tenant's
/// lock, after [`reclaim_expired`], so every open session counts.
pub async fn people_holding(
    conn: &mut PgConnection,
    tenant_id: Uuid,
) -> sqlx::Result<Vec<PersonHoldingRow>> {
    sqlx::query_as!(
        PersonHoldingRow,
        r#"SELECT s.account_id, a.role, max(s.active_at) AS "active_at!", count(*) AS "sessions!"
           FROM sessions s JOIN accounts a ON a.id = s.account_id
           WHERE s.tenant_id = $1 AND s.ended_at IS NULL
           GROUP BY s.account_id, a.role"#,
        tenant_id
    )
    .fetch_all(conn)
    .await
}

/// The open sessions of one account.
pub async fn open_count_of(conn: &mut PgConnection, account_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM sessions WHERE account_id = $1 AND ended_at IS NULL"#,
        account_id
    )
    .fetch_one(conn)
    .await
}

/// People holding a seat: accounts with an open session (index-only).
pub async fn people_count(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
               SELECT DISTINCT account_id FROM sessions WHERE tenant_id = $1 AND ended_at IS NULL
           ) people"#,
        tenant_id
    )
    .fetch_one(conn)
    .await
}

/// Of those, the ones who are not administrators (for the reserve).
pub async fn users_count(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM accounts a
           WHERE a.tenant_id = $1 AND a.role <> 'administrator'
             AND EXISTS (SELECT 1 FROM sessions s WHERE s.account_id = a.id AND s.ended_at IS NULL)"#,
        tenant_id
    )
    .fetch_one(conn)
    .await
}

/// Ends the open sessions of `account_id` beyond the `keep` most recently
/// used (its device limit), as `device_limit`; returns how many.
pub async fn end_idlest(
    conn: &mut PgConnection,
    account_id: Uuid,
    keep: i64,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE sessions SET ended_at = $3, end_reason = 'device_limit'
         WHERE id IN (SELECT id FROM sessions
                      WHERE account_id = $1 AND ended_at IS NULL
                      ORDER BY active_at DESC, created_at DESC, id
                      OFFSET $2)",
        account_id,
        keep,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

pub struct InsertSession<'a> {
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub token_hash: &'a [u8],
    pub now: OffsetDateTime,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
}

pub async fn insert(conn: &mut PgConnection, s: InsertSession<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO sessions (tenant_id, account_id, token_hash, created_at, last_seen_at, active_at,
                               ip, user_agent)
         VALUES ($1, $2, $3, $4, $4, $4, $5, $6) RETURNING id",
        s.tenant_id,
        s.account_id,
        s.token_hash,
        s.now,
        s.ip,
        s.user_agent
    )
    .fetch_one(conn)
    .await
}

/// Locks the open sessions of `account_id` and returns their latest
/// activity: the eviction policy checks it again under the lock, so a
/// person who has just become active keeps their seat.
pub async fn lock_activity(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> sqlx::Result<Option<OffsetDateTime>> {
    let rows: Vec<OffsetDateTime> = sqlx::query_scalar!(
        "SELECT active_at FROM sessions WHERE account_id = $1 AND ended_at IS NULL FOR UPDATE",
        account_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().max())
}

/// A live session with its account and tenant.
#[derive(Debug, Clone)]
pub struct SessionContextRow {
    pub session_id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub idle_lease_seconds: i32,
    pub account_id: Uuid,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    /// `local` or `directory`.
    pub account_type: String,
    pub must_change_password: bool,
    pub rotate_password: bool,
    pub password_changed_at: Option<OffsetDateTime>,
    pub password_policy: serde_json::Value,
    pub time_zone: String,
}

/// Finds the live session for `token_hash` and marks it seen now, and, when
/// `active` (the person did something), active now. A session whose lease
/// ran out is not revived, even if nobody reclaimed it yet: its seat may
/// already have been counted as free. Nor is the session of an inactive or
/// expired account.
pub async fn touch(
    conn: &mut PgConnection,
    token_hash: &[u8],
    now: OffsetDateTime,
    active: bool,
) -> sqlx::Result<Option<SessionContextRow>> {
    sqlx::query_as!(
        SessionContextRow,
        "UPDATE sessions s SET last_seen_at = GREATEST(s.last_seen_at, $2),
                active_at = CASE WHEN $3 THEN GREATEST(s.active_at, $2) ELSE s.active_at END
         FROM tenants t, accounts a
         WHERE s.token_hash = $1 AND s.ended_at IS NULL
           AND t.id = s.tenant_id AND a.id = s.account_id AND a.tenant_id = s.tenant_id
           AND a.status = 'active'
           AND (a.expires_on IS NULL OR a.expires_on > ($2::timestamptz AT TIME ZONE t.time_zone)::date)
           AND s.last_seen_at > $2::timestamptz - make_interval(secs => t.idle_lease_seconds)
           AND s.created_at > $2::timestamptz - make_interval(hours => t.session_lifetime_hours)
         RETURNING s.id AS session_id, t.id AS tenant_id, t.slug AS tenant_slug,
                   t.name AS tenant_name, t.idle_lease_seconds, a.id AS account_id,
                   a.username, a.first_name, a.last_name, a.role, a.account_type,
                   a.must_change_password, a.rotate_password, a.password_changed_at,
                   t.password_policy, t.time_zone",
        token_hash,
        now,
        active
    )
    .fetch_optional(conn)
    .await
}

pub struct EndedSession {
    pub session_id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub username: String,
}

/// Ends the session (sign-out); `None` when it had already ended.
pub async fn end_by_token(
    conn: &mut PgConnection,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> sqlx::Result<Option<EndedSession>> {
    sqlx::query_as!(
        EndedSession,
        "WITH ended AS (
             UPDATE sessions s
             SET ended_at = LEAST($2, rollcall_lapse_at(s.last_seen_at, s.created_at,
                                       t.idle_lease_seconds, t.session_lifetime_hours)),
                 end_reason = CASE
                     WHEN rollcall_lapse_at(s.last_seen_at, s.created_at,
                                            t.idle_lease_seconds, t.session_lifetime_hours) <= $2
                     THEN rollcall_lapse_reason(s.last_seen_at, s.created_at,
                                                t.idle_lease_seconds, t.session_lifetime_hours)
                     ELSE 'logout' END
             FROM tenants t
             WHERE t.id = s.tenant_id AND s.token_hash = $1 AND s.ended_at IS NULL
             RETURNING s.id, s.tenant_id, s.account_id
         )
         SELECT e.id AS session_id, e.tenant_id, e.account_id, a.username
         FROM ended e JOIN accounts a ON a.id = e.account_id",
        token_hash,
        now
    )
    .fetch_optional(conn)
    .await
}

pub struct HolderRow {
    pub account_id: Uuid,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub role: String,
    pub since: OffsetDateTime,
    pub last_seen: OffsetDateTime,
    pub active_at: OffsetDateTime,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Sessions holding a seat now, by person (the person who signed in first
/// comes first), then by session.
pub async fn holders(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    now: OffsetDateTime,
    lease_seconds: i32,
) -> sqlx::Result<Vec<HolderRow>> {
    sqlx::query_as!(
        HolderRow,
        r#"SELECT a.id AS account_id, a.username, a.first_name, a.last_name, a.role,
                  s.created_at AS since, s.last_seen_at AS last_seen, s.active_at, s.user_agent, s.ip
           FROM sessions s JOIN accounts a ON a.id = s.account_id
                JOIN tenants t ON t.id = s.tenant_id
           WHERE s.tenant_id = $1 AND s.ended_at IS NULL
             AND s.last_seen_at > $2::timestamptz - make_interval(secs => $3::int4)
             AND s.created_at > $2::timestamptz - make_interval(hours => t.session_lifetime_hours)
             AND (a.expires_on IS NULL OR a.expires_on > ($2::timestamptz AT TIME ZONE t.time_zone)::date)
           ORDER BY min(s.created_at) OVER (PARTITION BY s.account_id), s.account_id,
                    s.created_at, s.id"#,
        tenant_id,
        now,
        lease_seconds
    )
    .fetch_all(conn)
    .await
}

/// Why an administrator's change ended an account's sessions.
#[derive(Debug, Clone, Copy)]
pub enum EndReason {
    AccountDeactivated,
    AccountExpired,
    PasswordReset,
    /// The owner changed their own password: their other devices sign in
    /// again (ASVS 5.0 V7.4.3).
    PasswordChanged,
    /// The owner chose "Sign out everywhere".
    SignedOutEverywhere,
    /// An administrator signed the person out to free a seat.
    SignedOutByAdmin,
    /// The eviction policy gave the idle person's seat to someone else.
    Evicted,
    /// The account is being deleted (its spans stay in the usage history).
    AccountDeleted,
}

impl EndReason {
    fn as_str(self) -> &'static str {
        match self {
            EndReason::AccountDeactivated => "account_deactivated",
            EndReason::AccountExpired => "account_expired",
            EndReason::PasswordReset => "password_reset",
            EndReason::PasswordChanged => "password_changed",
            EndReason::SignedOutEverywhere => "signed_out_everywhere",
            EndReason::SignedOutByAdmin => "signed_out_by_admin",
            EndReason::Evicted => "evicted",
            EndReason::AccountDeleted => "account_deleted",
        }
    }
}

/// Ends every open session of an account (its seats are free at once),
/// except `keep` (the caller's own, when it changes its own password), as
/// `reason`; returns how many it ended so. A session that had already lapsed
/// (lease or lifetime run out, not yet reclaimed) is recorded as ending
/// when it lapsed, for that reason: the person was gone already, and the
/// usage history must not stretch it to now.
pub async fn end_for_account(
    conn: &mut PgConnection,
    account_id: Uuid,
    now: OffsetDateTime,
    reason: EndReason,
    keep: Option<Uuid>,
) -> sqlx::Result<u64> {
    let ended: Vec<bool> = sqlx::query_scalar!(
        r#"UPDATE sessions s
           SET ended_at = LEAST($2, rollcall_lapse_at(s.last_seen_at, s.created_at,
                                     t.idle_lease_seconds, t.session_lifetime_hours)),
               end_reason = CASE
                   WHEN rollcall_lapse_at(s.last_seen_at, s.created_at,
                                          t.idle_lease_seconds, t.session_lifetime_hours) <= $2
                   THEN rollcall_lapse_reason(s.last_seen_at, s.created_at,
                                              t.idle_lease_seconds, t.session_lifetime_hours)
                   ELSE $3 END
           FROM tenants t
           WHERE t.id = s.tenant_id AND s.account_id = $1 AND s.ended_at IS NULL
             AND s.id IS DISTINCT FROM $4
           RETURNING s.end_reason = $3 AS "by_reason!""#,
        account_id,
        now,
        reason.as_str(),
        keep
    )
    .fetch_all(conn)
    .await?;
    Ok(ended.into_iter().filter(|&b| b).count() as u64)
}

/// Why the session of `token_hash` no longer lets its holder in.
pub struct EndedSessionRow {
    /// `sessions.end_reason`, when it was ended.
    pub end_reason: Option<String>,
    /// Open, but its account is deactivated or past its expiry date.
    pub account_closed: Option<String>,
    /// It reached the tenant's session lifetime (ended or not yet reclaimed).
    pub past_lifetime: bool,
    pub session_lifetime_hours: i32,
}

/// What became of the session of `token_hash`, if it ever existed.
pub async fn why_ended(
    conn: &mut PgConnection,
    token_hash: &[u8],
    now: OffsetDateTime,
) -> sqlx::Result<Option<EndedSessionRow>> {
    sqlx::query_as!(
        EndedSessionRow,
        r#"SELECT s.end_reason,
                  CASE WHEN s.ended_at IS NOT NULL THEN NULL
                       WHEN a.status <> 'active' THEN 'account_deactivated'
                       WHEN a.expires_on <= ($2::timestamptz AT TIME ZONE t.time_zone)::date THEN 'account_expired'
                  END AS account_closed,
                  (coalesce(s.end_reason = 'lifetime', false)
                   OR (s.ended_at IS NULL
                       AND s.created_at <= $2::timestamptz - make_interval(hours => t.session_lifetime_hours)
                       AND s.created_at + make_interval(hours => t.session_lifetime_hours)
                           < s.last_seen_at + make_interval(secs => t.idle_lease_seconds))) AS "past_lifetime!",
                  t.session_lifetime_hours
           FROM sessions s JOIN tenants t ON t.id = s.tenant_id
                JOIN accounts a ON a.id = s.account_id
           WHERE s.token_hash = $1"#,
        token_hash,
        now
    )
    .fetch_optional(conn)
    .await
}
