use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct NewMail<'a> {
    pub tenant_id: Option<Uuid>,
    pub kind: &'a str,
    pub message_id: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    /// Cut out of the bodies once sent (a link's token).
    pub secret: Option<&'a str>,
    pub now: OffsetDateTime,
}

pub async fn enqueue(conn: &mut PgConnection, m: NewMail<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO outbox (tenant_id, kind, message_id, to_address, subject, text_body, html_body,
                             created_at, next_attempt_at, secret)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id",
        m.tenant_id,
        m.kind,
        m.message_id,
        m.to_address,
        m.subject,
        m.text_body,
        m.html_body,
        m.now,
        m.secret
    )
    .fetch_one(conn)
    .await
}

pub struct DueMail {
    pub id: i64,
    pub message_id: String,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: OffsetDateTime,
    pub attempts: i32,
}

/// The next message due, locked; other workers skip it meanwhile.
pub async fn next_due(
    conn: &mut PgConnection,
    now: OffsetDateTime,
) -> sqlx::Result<Option<DueMail>> {
    sqlx::query_as!(
        DueMail,
        "SELECT id, message_id, to_address, subject, text_body, html_body, created_at, attempts
         FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        now
    )
    .fetch_optional(conn)
    .await
}

pub async fn record_attempt(
    conn: &mut PgConnection,
    id: i64,
    now: OffsetDateTime,
    error: Option<&str>,
    retry_at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO outbox_attempts (tenant_id, message, attempted_at, ok, error)
         SELECT tenant_id, id, $2, $3, $4 FROM outbox WHERE id = $1",
        id,
        now,
        error.is_none(),
        error
    )
    .execute(&mut *conn)
    .await
    .and_then(super::one_row)?;
    sqlx::query!(
        "UPDATE outbox SET attempts = attempts + 1,
             sent_at = CASE WHEN $3::text IS NULL THEN $2::timestamptz END,
             last_error = $3, next_attempt_at = $4,
             text_body = CASE WHEN $3::text IS NULL AND secret IS NOT NULL
                              THEN replace(text_body, secret, '[removed once sent]') ELSE text_body END,
             html_body = CASE WHEN $3::text IS NULL AND secret IS NOT NULL
                              THEN replace(html_body, secret, '[removed once sent]') ELSE html_body END,
             secret = CASE WHEN $3::text IS NULL THEN NULL ELSE secret END
         WHERE id = $1",
        id,
        now,
        error,
        retry_at
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// When the oldest unsent message was queued, if any (for health reports).
pub async fn oldest_unsent(conn: &mut PgConnection) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!("SELECT min(created_at) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(conn)
        .await
}

/// How many messages of `kind` were queued for `to` since `since`.
pub async fn count_recent(
    conn: &mut PgConnection,
    kind: &str,
    to: &str,
    since: OffsetDateTime,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM outbox WHERE kind = $1 AND to_address = $2 AND created_at > $3"#,
        kind,
        to,
        since
    )
    .fetch_one(conn)
    .await
}
