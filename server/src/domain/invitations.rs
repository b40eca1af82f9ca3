//! Invitations and password-reset links: a person sets their own password
//! from a single-use link. The link's token is mailed and stored only hashed;
//! the mail is queued in the transaction that creates the link.

use super::audit::{self, Action};
use super::caller::{is_expired, origin, Actor, AdminCaller, Origin};
use super::passwords;
use super::tenant::{parse_policy, tenant_policy};
use super::throttle::Settled;
use super::Services;
use crate::crypto;
use crate::db::{self, accounts::AccountRow, links::LinkRow, sessions::EndReason, Scope};
use crate::error::Result;
use crate::mail::{self, escape, html_page, Composed, Mail};
use crate::zone::Zone;
use app::api::port::RequestMeta;
use app::model::invitations::{
    ClosedLink, InvitationView, LinkInfo, LinkKind, LinkState, LinkStatus, PasswordSet,
    SetPasswordRequest, RESETS_PER_HOUR, RESET_LINK_MINUTES,
};
use app::model::Secret;
use app::model::{
    AccountId, AccountStatus, AccountType, ApiError, ErrorCode, TenantSlug, Username,
};
use serde_json::json;
use sqlx::PgConnection;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Who sent a link (an administrator), for the mail and the history.
pub struct Sender {
    pub id: Uuid,
    pub name: String,
}

/// The administrator behind `actor`, if it is an account.
pub async fn sender_of(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    actor: &Actor,
) -> Result<Option<Sender>> {
    let Actor::Account { id, .. } = actor else {
        return Ok(None);
    };
    Ok(db::accounts::get(conn, tenant_id, *id)
        .await?
        .map(|a| Sender {
            id: a.id,
            name: format!("{} {}", a.first_name, a.last_name),
        }))
}

/// The address of the page behind a link. The token travels in the
/// fragment, which browsers never send to a server or in a Referer.
pub fn link_url(public_url: &str, kind: LinkKind, token: &str) -> String {
    let page = match kind {
        LinkKind::Invitation => "invitation",
        LinkKind::Reset => "reset-password",
    };
    format!("{public_url}/{page}#{token}")
}

/// The organisation's sign-in link, `<public_url>/?org=<slug>`: the sign-in
/// page opens with the organisation filled in (issue #17). The slug is
/// percent-encoded as a query component (RFC 3986 §3.4) by the encoder the
/// License page uses, so both show the same link.
pub fn sign_in_url(public_url: &str, tenant_slug: &str) -> String {
    format!(
        "{public_url}/?org={}",
        app::components::query_value(tenant_slug)
    )
}

/// `26 November 2026 at 09:05 EST`: in the organisation's zone, labelled.
fn when(t: OffsetDateTime, zone: &Zone) -> String {
    let day = zone
        .date_of(t)
        .format(format_description!(
            "[day padding:none] [month repr:long] [year]"
        ))
        .unwrap_or_default();
    // `2026-11-26 09:05 EST` → `09:05 EST`
    let minute = zone.minute(t);
    format!("{day} at {}", &minute[11..])
}

/// What a link's mail says.
pub struct LinkMail<'a> {
    pub kind: LinkKind,
    pub tenant_name: &'a str,
    pub tenant_slug: &'a str,
    pub first_name: &'a str,
    pub username: &'a str,
    pub sender: Option<&'a str>,
    pub link: &'a str,
    /// The organisation's sign-in link ([`sign_in_url`]), for every later
    /// sign-in.
    pub sign_in: &'a str,
    pub expires_at: OffsetDateTime,
    /// The organisation's time zone, which the expiry is told in.
    pub zone: &'a Zone,
}

pub fn compose_link_mail(m: &LinkMail<'_>) -> Composed {
    let expires = when(m.expires_at, m.zone);
    let who = m.sender.unwrap_or("Your administrator");
    let account = format!(
        "Organisation: {}, username: {}. Sign in afterwards at {}",
        m.tenant_slug, m.username, m.sign_in
    );
    match m.kind {
        LinkKind::Invitation => {
            let subject = format!("{who} invited you to {} on Rollcall", m.tenant_name);
            let intro = format!(
                "{who} invited you to {} on Rollcall. Your username is {}.",
                m.tenant_name, m.username
            );
            let until = format!(
                "The link works once, until {expires}. If it has expired, ask {} to send a new invitation.",
                m.sender.unwrap_or("your administrator")
            );
            let text = format!(
                "Hello {},\n\n{intro}\n\nChoose your password here:\n{}\n\n{until}\n\n{account}\n",
                m.first_name, m.link
            );
            let html = html_page(
                &[
                    format!("Hello {},", escape(m.first_name)),
                    escape(&intro),
                    escape(&until),
                    escape(&account),
                ],
                Some((m.link, "Choose your password")),
            );
            Composed {
                subject,
                text,
                html,
            }
        }
        LinkKind::Reset => {
            let subject = format!("Reset your Rollcall password for {}", m.tenant_name);
            let intro = format!(
                "Someone asked to reset the password of {} at {} on Rollcall. If it was you, choose a new password here.",
                m.username, m.tenant_name
            );
            let until = format!(
                "The link works once, until {expires}. If you did not ask, ignore this email: your password stays as it is."
            );
            let text = format!(
                "Hello {},\n\n{intro}\n{}\n\n{until}\n\n{account}\n",
                m.first_name, m.link
            );
            let html = html_page(
                &[
                    format!("Hello {},", escape(m.first_name)),
                    escape(&intro),
                    escape(&until),
                    escape(&account),
                ],
                Some((m.link, "Choose a new password")),
            );
            Composed {
                subject,
                text,
                html,
            }
        }
    }
}

/// The answer to "forgot password" for an Active Directory account.
pub fn compose_directory_reminder(tenant_name: &str, first_name: &str, username: &str) -> Composed {
    let intro =
        format!("Someone asked to reset the password of {username} at {tenant_name} on Rollcall.");
    let what = "This account signs in with Active Directory: use your directory (Windows) password. Rollcall does not keep it and cannot reset it; your IT department can.".to_owned();
    let ignore = "If you did not ask, you can ignore this email.".to_owned();
    Composed {
        subject: format!("Your Rollcall password for {tenant_name}"),
        text: format!("Hello {first_name},\n\n{intro}\n\n{what}\n\n{ignore}\n"),
        html: html_page(
            &[
                format!("Hello {},", escape(first_name)),
                escape(&intro),
                escape(&what),
                escape(&ignore),
            ],
            None,
        ),
    }
}

/// Creates a link for `account` (closing its open link of that kind as
/// replaced) and queues its mail, in the caller's transaction. Returns when
/// it expires.
pub async fn issue(
    tx: &mut PgConnection,
    public_url: &str,
    kind: LinkKind,
    account: &AccountRow,
    sender: Option<&Sender>,
    lifetime: Duration,
    now: OffsetDateTime,
) -> Result<OffsetDateTime> {
    let tenant = db::tenants::by_id(tx, account.tenant_id)
        .await?
        .ok_or_else(ApiError::internal)?;
    db::links::close_open(tx, account.id, Some(kind.as_str()), "replaced", now).await?;
    let (token, hash) = crypto::new_session_token()?;
    let expires_at = now + lifetime;
    db::links::insert(
        tx,
        db::links::NewLink {
            tenant_id: account.tenant_id,
            account_id: account.id,
            kind: kind.as_str(),
            token_hash: &hash,
            now,
            expires_at,
            created_by: sender.map(|s| s.id),
            created_by_name: sender.map(|s| s.name.as_str()),
        },
    )
    .await?;
    let link = link_url(public_url, kind, token.expose());
    let sign_in = sign_in_url(public_url, &tenant.slug);
    let composed = compose_link_mail(&LinkMail {
        kind,
        tenant_name: &tenant.name,
        tenant_slug: &tenant.slug,
        first_name: &account.first_name,
        username: &account.username,
        sender: sender.map(|s| s.name.as_str()),
        link: &link,
        sign_in: &sign_in,
        expires_at,
        zone: &Zone::stored(&tenant.time_zone),
    });
    mail::enqueue(
        tx,
        Mail {
            tenant_id: Some(account.tenant_id),
            kind: kind.as_str(),
            to: &account.email,
            subject: &composed.subject,
            text: &composed.text,
            html: &composed.html,
            secret: Some(token.expose()),
        },
        now,
    )
    .await?;
    Ok(expires_at)
}

/// Sends a new account its invitation, in the transaction that creates it.
pub async fn invite_new_account(
    tx: &mut PgConnection,
    public_url: &str,
    account: &AccountRow,
    actor: &Actor,
    origin: &Origin,
    now: OffsetDateTime,
) -> Result<()> {
    let hours = db::tenants::settings(tx, account.tenant_id)
        .await?
        .invitation_hours;
    let sender = sender_of(tx, account.tenant_id, actor).await?;
    let expires_at = issue(
        tx,
        public_url,
        LinkKind::Invitation,
        account,
        sender.as_ref(),
        Duration::hours(i64::from(hours)),
        now,
    )
    .await?;
    audit::record(
        tx,
        audit::Event::on_account(
            account,
            Action::InvitationSent,
            json!({ "to": account.email, "expires_at": expires_at }),
            actor,
            origin,
            now,
        ),
    )
    .await?;
    Ok(())
}

fn view(l: &LinkRow, now: OffsetDateTime) -> InvitationView {
    InvitationView {
        state: LinkState::at(l.used_at, l.closed_reason.as_deref(), l.expires_at, now),
        sent_at: l.created_at,
        expires_at: l.expires_at,
        sent_by: l.created_by_name.clone(),
        ended_at: l.used_at.or(l.closed_at),
    }
}

/// The account's latest invitation, as its administrator sees it.
pub async fn latest_invitation(
    conn: &mut PgConnection,
    tenant_id: Uuid,
    account_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<InvitationView>> {
    Ok(
        db::links::latest(conn, tenant_id, account_id, LinkKind::Invitation.as_str())
            .await?
            .map(|l| view(&l, now)),
    )
}

/// A token as mailed: 43 URL-safe base64 characters. Anything else cannot
/// be one of ours, so it is not looked up.
fn token_hash(token: &str) -> Option<[u8; 32]> {
    let t = token.trim();
    let shaped = t.len() == 43
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    shaped.then(|| crypto::token_hash(t))
}

fn unknown_link() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "This link is not valid. Check that you opened the whole link from the email, or ask for a new one.",
    )
}

/// The least time `forgot-password` takes to answer: longer than its work
/// takes (a few milliseconds) for a known account, so a known and an unknown
/// one answer alike.
pub const FORGOT_PASSWORD_ANSWER: std::time::Duration = std::time::Duration::from_millis(250);

impl Services {
    /// What the page behind a link shows (anyone holding the link).
    pub async fn link_status(&self, token: &Secret) -> Result<LinkStatus> {
        let Some(hash) = token_hash(token.expose()) else {
            return Ok(LinkStatus::Unknown);
        };
        let now = self.now();
        let mut conn = db::begin(&self.pool, Scope::Link(&hash)).await?;
        let Some(link) = db::links::by_token(&mut conn, &hash, false).await? else {
            return Ok(LinkStatus::Unknown);
        };
        let tenant = db::tenants::by_id(&mut conn, link.tenant_id)
            .await?
            .ok_or_else(ApiError::internal)?;
        let kind = LinkKind::parse(&link.kind).ok_or_else(ApiError::internal)?;
        let state = LinkState::at(
            link.used_at,
            link.closed_reason.as_deref(),
            link.expires_at,
            now,
        );
        if state != LinkState::Pending {
            return Ok(LinkStatus::Closed(ClosedLink {
                kind,
                state,
                tenant_slug: tenant.slug,
                at: link.used_at.or(link.closed_at).unwrap_or(link.expires_at),
            }));
        }
        let account = db::accounts::get(&mut conn, link.tenant_id, link.account_id)
            .await?
            .ok_or_else(ApiError::internal)?;
        Ok(LinkStatus::Valid(LinkInfo {
            kind,
            tenant_slug: tenant.slug,
            tenant_name: tenant.name,
            username: account.username,
            email: account.email,
            policy: parse_policy(tenant.password_policy)?,
            expires_at: link.expires_at,
        }))
    }

    /// Sets the password from a link, once. The person then signs in as
    /// usual (taking a seat); a reset also ends the account's sessions.
    pub async fn set_password_from_link(
        &self,
        meta: &RequestMeta,
        req: &SetPasswordRequest,
    ) -> Result<PasswordSet> {
        let hash = token_hash(req.token.expose()).ok_or_else(unknown_link)?;
        let now = self.now();
        let mut tx = db::begin(&self.pool, Scope::Link(&hash)).await?;
        let link = db::links::by_token(&mut tx, &hash, true)
            .await?
            .ok_or_else(unknown_link)?;
        let kind = LinkKind::parse(&link.kind).ok_or_else(ApiError::internal)?;
        let tenant = db::tenants::by_id(&mut tx, link.tenant_id)
            .await?
            .ok_or_else(ApiError::internal)?;
        let state = LinkState::at(
            link.used_at,
            link.closed_reason.as_deref(),
            link.expires_at,
            now,
        );
        if state != LinkState::Pending {
            let (title, what) = ClosedLink {
                kind,
                state,
                tenant_slug: tenant.slug,
                at: now,
            }
            .explain();
            return Err(ApiError::new(ErrorCode::LinkClosed, format!("{title}. {what}")).into());
        }
        // The account was deleted after the link was read: the link went
        // with it.
        let account = db::accounts::lock(&mut tx, link.tenant_id, link.account_id)
            .await?
            .ok_or_else(unknown_link)?;
        if account.account_type != AccountType::Local.as_str() {
            return Err(ApiError::refused(
                "This account signs in with Active Directory: use your directory password.",
            )
            .into());
        }
        if account.status != AccountStatus::Active.as_str()
            || is_expired(account.expires_on, now, &Zone::stored(&tenant.time_zone))
        {
            return Err(ApiError::new(
                ErrorCode::AccountInactive,
                "This account is deactivated or has expired, so its password cannot be set. Ask your administrator.",
            )
            .into());
        }
        let policy = tenant_policy(&mut tx, tenant.id).await?;
        // Used first: setting the password closes the account's other open
        // links, and this one is not "superseded" but used.
        db::links::mark_used(&mut tx, link.id, now).await?;
        passwords::set_password(&mut tx, &account, &policy, &req.new_password, false, now).await?;
        let mut details = json!({});
        let action = match kind {
            LinkKind::Invitation => Action::InvitationAccepted,
            LinkKind::Reset => {
                let ended = db::sessions::end_for_account(
                    &mut tx,
                    account.id,
                    now,
                    EndReason::PasswordReset,
                    None,
                )
                .await?;
                details = json!({ "sessions_ended": ended });
                Action::PasswordResetCompleted
            }
        };
        audit::record(
            &mut tx,
            audit::Event {
                tenant_id: Some(tenant.id),
                at: now,
                actor: &Actor::Account {
                    id: account.id,
                    username: account.username.clone(),
                },
                action,
                target: Some(audit::account_target(&account)),
                details,
                origin: &origin(meta),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(PasswordSet {
            tenant_slug: tenant.slug,
            username: account.username,
        })
    }

    /// "Forgot password?": mails a reset link to an active local account,
    /// or a reminder to an Active Directory account. The caller always gets
    /// the same answer, and no sooner than [`FORGOT_PASSWORD_ANSWER`] after
    /// asking, whether the account exists or not (OWASP ASVS 5.0 V6.3.8:
    /// timing must not tell which accounts exist); what happened is in the
    /// audit trail.
    pub async fn forgot_password(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
    ) -> Result<()> {
        if tenant.trim().is_empty() {
            return Err(ApiError::validation("tenant", "Enter your organisation.").into());
        }
        if username.trim().is_empty() {
            return Err(ApiError::validation("username", "Enter your username.").into());
        }
        let answer_at = tokio::time::Instant::now() + FORGOT_PASSWORD_ANSWER;
        let done = self.send_reset(meta, tenant, username).await;
        tokio::time::sleep_until(answer_at).await;
        done
    }

    async fn send_reset(&self, meta: &RequestMeta, tenant: &str, username: &str) -> Result<()> {
        let now = self.now();
        let slug = TenantSlug::parse(tenant).ok();
        let slug = slug.as_ref().map_or("", |s| s.as_str());
        let mut tx = db::begin(&self.pool, Scope::TenantSlug(slug)).await?;
        let tenant_row = db::tenants::by_slug(&mut tx, slug).await?;
        let Some(tenant_row) = tenant_row else {
            tracing::info!("password reset asked for an unknown organisation");
            return Ok(());
        };
        // Each request is checked like a sign-in and counted for its address
        // (not for the username: nobody may slow another's sign-in so).
        let attempt = match super::throttle::begin_attempt(
            &mut tx,
            tenant_row.id,
            username,
            meta.ip.as_deref(),
            now,
        )
        .await?
        {
            Ok(attempt) => attempt,
            Err(wait) => return Err(wait.into()),
        };
        let found = match Username::lookup(username) {
            Ok(u) => db::accounts::for_login(&mut tx, tenant_row.id, &u.folded()).await?,
            Err(_) => None,
        };
        let actor = Actor::Anonymous {
            claimed: audit::claimed(tenant, username),
        };
        let origin = origin(meta);
        attempt
            .settle(&mut tx, Settled::Requested, &actor, &origin, now)
            .await?;
        let Some(found) = found else {
            audit::record(
                &mut tx,
                audit::Event {
                    tenant_id: Some(tenant_row.id),
                    at: now,
                    actor: &actor,
                    action: Action::PasswordResetRequested,
                    target: None,
                    details: json!({ "outcome": "unknown_account" }),
                    origin: &origin,
                },
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        };
        // Serialises requests for one account (the hourly limit holds).
        let Some(account) = db::accounts::lock(&mut tx, tenant_row.id, found.account.id).await?
        else {
            // Deleted a moment ago: answered as a name that names nobody.
            tx.commit().await?;
            return Ok(());
        };
        let since = now - Duration::hours(1);
        let outcome = if account.status != AccountStatus::Active.as_str()
            || is_expired(
                account.expires_on,
                now,
                &Zone::stored(&tenant_row.time_zone),
            ) {
            json!({ "outcome": "not_sent", "reason": "account_inactive" })
        } else if account.account_type == AccountType::Directory.as_str() {
            if db::outbox::count_recent(&mut tx, "directory_reminder", &account.email, since)
                .await?
                >= i64::from(RESETS_PER_HOUR)
            {
                json!({ "outcome": "not_sent", "reason": "too_many_requests" })
            } else {
                let c = compose_directory_reminder(
                    &tenant_row.name,
                    &account.first_name,
                    &account.username,
                );
                mail::enqueue(
                    &mut tx,
                    Mail {
                        tenant_id: Some(tenant_row.id),
                        kind: "directory_reminder",
                        to: &account.email,
                        subject: &c.subject,
                        text: &c.text,
                        html: &c.html,
                        secret: None,
                    },
                    now,
                )
                .await?;
                json!({ "outcome": "directory_reminder_sent", "to": account.email })
            }
        } else if db::links::count_since(&mut tx, account.id, LinkKind::Reset.as_str(), since)
            .await?
            >= i64::from(RESETS_PER_HOUR)
        {
            json!({ "outcome": "not_sent", "reason": "too_many_requests" })
        } else {
            let expires_at = issue(
                &mut tx,
                &self.settings.public_url,
                LinkKind::Reset,
                &account,
                None,
                Duration::minutes(i64::from(RESET_LINK_MINUTES)),
                now,
            )
            .await?;
            json!({ "outcome": "link_sent", "to": account.email, "expires_at": expires_at })
        };
        audit::record(
            &mut tx,
            audit::Event::on_account(
                &account,
                Action::PasswordResetRequested,
                outcome,
                &actor,
                &origin,
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        // The mail worker is not woken: on Lambda that would send the mail
        // before answering, and the answer's time would tell that the
        // account exists. It goes with the next delivery round
        // (`ROLLCALL_MAIL_POLL_SECONDS`, or the schedule on Lambda).
        Ok(())
    }

    /// Sends an invited account a new invitation; the previous link stops
    /// working.
    pub async fn resend_invitation(
        &self,
        admin: &AdminCaller,
        id: AccountId,
    ) -> Result<InvitationView> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let account = db::accounts::lock(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        if account.account_type != AccountType::Local.as_str() {
            return Err(ApiError::refused(
                "This is a directory account: it signs in with its domain password, so there is nothing to invite it to set.",
            )
            .into());
        }
        if account.has_password {
            return Err(ApiError::refused(
                "This account already has a password. Use Reset password, or the person can use “Forgot password?” on the sign-in page.",
            )
            .into());
        }
        if account.status != AccountStatus::Active.as_str()
            || admin.is_expired(account.expires_on, now)
        {
            return Err(ApiError::refused(
                "This account is deactivated or expired: reactivate it before inviting its owner.",
            )
            .into());
        }
        let had = db::links::latest(
            &mut tx,
            tenant_id,
            account.id,
            LinkKind::Invitation.as_str(),
        )
        .await?
        .is_some();
        let hours = db::tenants::settings(&mut tx, tenant_id)
            .await?
            .invitation_hours;
        let sender = Sender {
            id: admin.account_id.as_uuid(),
            name: format!("{} {}", admin.first_name, admin.last_name),
        };
        let expires_at = issue(
            &mut tx,
            &self.settings.public_url,
            LinkKind::Invitation,
            &account,
            Some(&sender),
            Duration::hours(i64::from(hours)),
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            audit::Event::on_account(
                &account,
                if had {
                    Action::InvitationResent
                } else {
                    Action::InvitationSent
                },
                json!({ "to": account.email, "expires_at": expires_at }),
                admin.actor(),
                &admin.origin,
                now,
            ),
        )
        .await?;
        let latest = latest_invitation(&mut tx, tenant_id, account.id, now)
            .await?
            .ok_or_else(ApiError::internal)?;
        tx.commit().await?;
        self.mail_queued();
        Ok(latest)
    }

    /// Withdraws the account's pending invitation.
    pub async fn revoke_invitation(
        &self,
        admin: &AdminCaller,
        id: AccountId,
    ) -> Result<InvitationView> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let account = db::accounts::lock(&mut tx, tenant_id, id.as_uuid())
            .await?
            .ok_or_else(|| ApiError::not_found("account"))?;
        let pending = latest_invitation(&mut tx, tenant_id, account.id, now)
            .await?
            .filter(|v| v.state == LinkState::Pending);
        if pending.is_none() {
            return Err(ApiError::refused(
                "This account has no pending invitation to revoke (it was accepted, has expired or was revoked already).",
            )
            .into());
        }
        db::links::close_open(
            &mut tx,
            account.id,
            Some(LinkKind::Invitation.as_str()),
            "revoked",
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            audit::Event::on_account(
                &account,
                Action::InvitationRevoked,
                json!({}),
                admin.actor(),
                &admin.origin,
                now,
            ),
        )
        .await?;
        let latest = latest_invitation(&mut tx, tenant_id, account.id, now)
            .await?
            .ok_or_else(ApiError::internal)?;
        tx.commit().await?;
        Ok(latest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn invitation(sender: Option<&str>) -> Composed {
        compose_link_mail(&LinkMail {
            kind: LinkKind::Invitation,
            tenant_name: "Smith & <Sons>",
            tenant_slug: "smith",
            first_name: "Ada",
            username: "ada",
            sender,
            link: "https://rollcall.example/invitation#tok",
            sign_in: "https://rollcall.example/?org=smith",
            expires_at: datetime!(2026-11-26 14:05 UTC),
            zone: &Zone::utc(),
        })
    }

    #[test]
    fn invitation_mail_names_tenant_sender_expiry_and_link() {
        let m = invitation(Some("Grace Hopper"));
        assert_eq!(
            m.subject,
            "Grace Hopper invited you to Smith & <Sons> on Rollcall"
        );
        for part in [
            "Grace Hopper invited you to Smith & <Sons> on Rollcall. Your username is ada.",
            "https://rollcall.example/invitation#tok",
            "until 26 November 2026 at 14:05 UTC",
            "Organisation: smith",
            "Sign in afterwards at https://rollcall.example/?org=smith",
        ] {
            assert!(m.text.contains(part), "text lacks {part}: {}", m.text);
        }
        assert!(m.html.contains("Smith &amp; &lt;Sons&gt;"), "{}", m.html);
        assert!(!m.html.contains("<Sons>"));
        assert!(m
            .html
            .contains("href=\"https://rollcall.example/invitation#tok\""));
    }

    #[test]
    fn invitation_without_sender_says_administrator() {
        let m = invitation(None);
        assert!(m.subject.starts_with("Your administrator invited you"));
        assert!(m
            .text
            .contains("ask your administrator to send a new invitation"));
    }

    #[test]
    fn reset_and_directory_mail() {
        let m = compose_link_mail(&LinkMail {
            kind: LinkKind::Reset,
            tenant_name: "Demo",
            tenant_slug: "demo",
            first_name: "Ada",
            username: "ada",
            sender: None,
            link: "http://127.0.0.1:3000/reset-password#tok",
            sign_in: "http://127.0.0.1:3000/?org=demo",
            expires_at: datetime!(2026-11-26 09:00 UTC),
            zone: &Zone::utc(),
        });
        assert_eq!(m.subject, "Reset your Rollcall password for Demo");
        assert!(m.text.contains("/reset-password#tok") && m.text.contains("If you did not ask"));
        assert!(m
            .text
            .contains("Sign in afterwards at http://127.0.0.1:3000/?org=demo"));
        assert_eq!(
            sign_in_url("https://r.example", "a b&c"),
            "https://r.example/?org=a%20b%26c"
        );
        assert_eq!(
            sign_in_url("https://r.example", "acme-corp"),
            "https://r.example/?org=acme-corp"
        );
        let d = compose_directory_reminder("Demo", "Ada", "ada");
        assert!(d.text.contains("Active Directory") && !d.text.contains("http"));
    }

    #[test]
    fn only_well_formed_tokens_are_looked_up() {
        let (token, hash) = crypto::new_session_token().unwrap();
        let token = token.expose();
        assert_eq!(token_hash(token), Some(hash));
        assert_eq!(token_hash(""), None);
        assert_eq!(token_hash(&format!("{token}x")), None);
        assert_eq!(
            token_hash(&token.replace(|c: char| c.is_alphabetic(), "%")),
            None
        );
    }
}
