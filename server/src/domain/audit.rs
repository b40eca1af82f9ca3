//! Audit events, written in the same transaction as the change they record.

use super::caller::{Actor, AdminCaller, Caller, Origin};
use super::Services;
use crate::db;
use crate::error::Result;
use app::model::audit::{audit_csv, AuditFilter, AUDIT_PAGE_SIZE};
use app::model::{text, ApiError, AuditEvent, AuditPage, AuditQuery, ErrorCode};
use serde_json::json;
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// The label of an anonymous actor: the `organisation/username` typed, as
/// far as the audit trail shows a name nobody has proven: at most 200
/// characters, without characters that hide or reorder text.
pub fn claimed(tenant: &str, username: &str) -> String {
    format!("{}/{}", tenant.trim(), username.trim())
        .chars()
        .filter(|c| !text::is_disallowed_in_name(*c))
        .take(200)
        .collect()
}

/// The kinds of events; names and labels are shared with the browser.
pub use app::model::AuditAction as Action;

pub struct Target<'a> {
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub label: &'a str,
}

impl<'a> Target<'a> {
    /// The target `kind` (`"group"`, `"account"` …) with its `id` and the
    /// `label` the trail shows, as an event's `target`.
    pub fn of(kind: &'static str, id: Uuid, label: &'a str) -> Option<Self> {
        Some(Target {
            kind,
            id: Some(id),
            label,
        })
    }
}

pub struct Event<'a> {
    pub tenant_id: Option<Uuid>,
    pub at: OffsetDateTime,
    pub actor: &'a Actor,
    pub action: Action,
    pub target: Option<Target<'a>>,
    /// Changed fields (before/after) and context; never secrets.
    pub details: Value,
    pub origin: &'a Origin,
}

impl<'a> Event<'a> {
    /// An event about `account`, recorded in the account's tenant.
    pub fn on_account(
        account: &'a crate::db::accounts::AccountRow,
        action: Action,
        details: Value,
        actor: &'a Actor,
        origin: &'a Origin,
        at: OffsetDateTime,
    ) -> Self {
        Event {
            tenant_id: Some(account.tenant_id),
            target: Some(account_target(account)),
            ..Event::untargeted(action, details, actor, origin, at)
        }
    }

    /// An event about the tenant `(id, slug)` itself: its settings, seats,
    /// directory.
    pub fn on_tenant(
        (id, slug): (Uuid, &'a str),
        action: Action,
        details: Value,
        actor: &'a Actor,
        origin: &'a Origin,
        at: OffsetDateTime,
    ) -> Self {
        Event {
            tenant_id: Some(id),
            target: Some(tenant_target(id, slug)),
            ..Event::untargeted(action, details, actor, origin, at)
        }
    }

    /// An event done by a signed-in `caller` (usually an administrator),
    /// recorded in the caller's tenant with their actor and origin.
    pub fn by(
        caller: &'a Caller,
        action: Action,
        target: Option<Target<'a>>,
        details: Value,
        at: OffsetDateTime,
    ) -> Self {
        Event {
            tenant_id: Some(caller.tenant_id.as_uuid()),
            target,
            ..Event::untargeted(action, details, caller.actor(), &caller.origin, at)
        }
    }

    fn untargeted(
        action: Action,
        details: Value,
        actor: &'a Actor,
        origin: &'a Origin,
        at: OffsetDateTime,
    ) -> Self {
        Event {
            tenant_id: None,
            at,
            actor,
            action,
            target: None,
            details,
            origin,
        }
    }
}

/// The fields of `new` that differ from `old`, as `{field: {before, after}}`.
pub fn changes(old: &Value, new: &Value) -> serde_json::Map<String, Value> {
    new.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, v)| old.get(k.as_str()) != Some(v))
        .map(|(k, v)| {
            (
                k.clone(),
                json!({ "before": old.get(k.as_str()).cloned().unwrap_or(Value::Null), "after": v }),
            )
        })
        .collect()
}

pub async fn record(conn: &mut PgConnection, e: Event<'_>) -> sqlx::Result<()> {
    let (actor_kind, actor_account_id, actor_label) = match e.actor {
        Actor::Account { id, username } => ("account", Some(*id), username.clone()),
        Actor::Operator { name } => ("operator", None, format!("operator:{name}")),
        Actor::Anonymous { claimed } => ("anonymous", None, claimed.clone()),
    };
    db::audit::insert(
        conn,
        db::audit::InsertAuditEvent {
            tenant_id: e.tenant_id,
            occurred_at: e.at,
            actor_kind,
            actor_account_id,
            actor_label: &actor_label,
            action: e.action.as_str(),
            target_kind: e.target.as_ref().map(|t| t.kind),
            target_id: e
                .target
                .as_ref()
                .and_then(|t| t.id.map(|id| id.to_string())),
            target_label: e.target.as_ref().map(|t| t.label),
            details: e.details,
            ip: e.origin.ip.as_deref(),
            user_agent: e.origin.user_agent.as_deref(),
        },
    )
    .await
}

/// More than this many rows is refused rather than silently cut.
pub const EXPORT_MAX_ROWS: i64 = 50_000;

/// `ILIKE` pattern for "contains", with the user's `%`, `_` and `\` taken
/// literally: how events recorded before the search keys are matched.
fn legacy_ilike(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl From<db::audit::AuditRow> for AuditEvent {
    fn from(r: db::audit::AuditRow) -> Self {
        AuditEvent {
            id: r.id,
            at: r.occurred_at,
            actor: r.actor_label,
            action: r.action,
            target: r.target_label,
            details: r.details,
            ip: r.ip,
            user_agent: r.user_agent,
        }
    }
}

impl Services {
    async fn audit_rows(
        &self,
        admin: &AdminCaller,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEvent>> {
        let actor = filter.actor.as_deref().map(text::contains_pattern);
        let target = filter.target.as_deref().map(text::contains_pattern);
        let actor_old = filter.actor.as_deref().map(legacy_ilike);
        let target_old = filter.target.as_deref().map(legacy_ilike);
        let sql = db::audit::AuditFilterSql {
            actor_like: actor.as_deref(),
            target_like: target.as_deref(),
            actor_ilike: actor_old.as_deref(),
            target_ilike: target_old.as_deref(),
            action: filter.action.map(Action::as_str),
            // Days of the organisation's calendar (#27).
            from: filter.from.map(|d| admin.zone.start_of(d)),
            until: filter.until.map(|d| admin.zone.start_of(d)),
        };
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        let rows =
            db::audit::list(&mut conn, admin.tenant_id.as_uuid(), &sql, limit, offset).await?;
        Ok(rows.into_iter().map(AuditEvent::from).collect())
    }

    pub async fn list_audit_events(
        &self,
        admin: &AdminCaller,
        query: &AuditQuery,
    ) -> Result<AuditPage> {
        let filter = query.validate()?;
        let size = i64::from(AUDIT_PAGE_SIZE);
        let offset = i64::from(filter.page - 1) * size;
        let mut events = self.audit_rows(admin, &filter, size + 1, offset).await?;
        let has_more = events.len() as i64 > size;
        events.truncate(AUDIT_PAGE_SIZE as usize);
        Ok(AuditPage {
            events,
            page: filter.page,
            page_size: AUDIT_PAGE_SIZE,
            has_more,
        })
    }

    /// Every matching event as CSV; the export itself is audited.
    pub async fn export_audit_events(
        &self,
        admin: &AdminCaller,
        query: &AuditQuery,
    ) -> Result<String> {
        let filter = query.validate()?;
        let events = self
            .audit_rows(admin, &filter, EXPORT_MAX_ROWS + 1, 0)
            .await?;
        if events.len() as i64 > EXPORT_MAX_ROWS {
            return Err(ApiError::new(
                ErrorCode::Validation,
                format!("More than {EXPORT_MAX_ROWS} events match. Narrow the dates or filters and export again."),
            )
            .into());
        }
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        record(
            &mut tx,
            Event::by(
                admin,
                Action::AuditExported,
                None,
                json!({ "rows": events.len(), "filters": {
                    "actor": query.actor, "target": query.target, "action": query.action,
                    "from": query.from, "to": query.to } }),
                self.now(),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(audit_csv(&events, &|t| admin.zone.rfc3339(t)))
    }
}

/// The usual target of an event about one account.
pub fn account_target(a: &crate::db::accounts::AccountRow) -> Target<'_> {
    Target {
        kind: "account",
        id: Some(a.id),
        label: &a.username,
    }
}

/// The target of an event about a tenant (its settings, seats, directory).
pub fn tenant_target(id: uuid::Uuid, slug: &str) -> Target<'_> {
    Target {
        kind: "tenant",
        id: Some(id),
        label: slug,
    }
}

/// Links read per round trip while verifying a chain.
const VERIFY_PAGE: i64 = 5_000;

/// Where a tenant's audit chain stops holding, in words for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak(pub String);

/// Walks links in order from `state` (the previous link's number and hash;
/// `(0, [0; 32])` at the start), checking that they are numbered without
/// gaps and that each is `sha256(previous hash || digest of its event)`.
/// Answers the state after the last link, or the first link that fails.
pub fn check_links(
    mut state: (i64, [u8; 32]),
    links: &[db::audit::LinkRow],
) -> std::result::Result<(i64, [u8; 32]), ChainBreak> {
    use sha2::{Digest, Sha256};
    for link in links {
        let what = format!(
            "event {} ({} at {})",
            link.event_id,
            link.action,
            link.occurred_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        );
        if link.seq != state.0 + 1 {
            return Err(ChainBreak(format!(
                "link {} is missing: the next link is {}, {what}; events were removed",
                state.0 + 1,
                link.seq
            )));
        }
        let mut hasher = Sha256::new();
        hasher.update(state.1);
        hasher.update(&link.digest);
        let expected: [u8; 32] = hasher.finalize().into();
        if link.hash != expected {
            return Err(ChainBreak(format!(
                "link {} does not match {what}: the event, or the link, was changed after it was written",
                link.seq
            )));
        }
        state = (link.seq, expected);
    }
    Ok(state)
}

impl Services {
    /// `server audit verify --tenant SLUG`: recomputes every link of the
    /// tenant's audit chain (OWASP ASVS 5.0 V16.4.3). Answers the number of
    /// events, or the first place the chain breaks.
    pub async fn verify_audit_chain(
        &self,
        tenant_slug: &str,
    ) -> Result<std::result::Result<u64, ChainBreak>> {
        let tenant = self.find_tenant(tenant_slug).await?;
        let mut conn = db::begin(&self.pool, db::Scope::Tenant(tenant.id)).await?;
        let t = Some(tenant.id);
        // The head first: events written while this runs (each linked at its
        // commit) lie past it and are left for the next run.
        let head = db::audit::chain_head(&mut conn, t).await?;
        let last = head.as_ref().map_or(0, |(seq, _)| *seq);
        let mut state = (0, [0; 32]);
        loop {
            let page = db::audit::links_after(&mut conn, t, state.0, last, VERIFY_PAGE).await?;
            if page.is_empty() {
                break;
            }
            match check_links(state, &page) {
                Ok(next) => state = next,
                Err(broken) => return Ok(Err(broken)),
            }
        }
        if let Some(event) = db::audit::first_unlinked(&mut conn, t).await? {
            return Ok(Err(ChainBreak(format!(
                "event {event} has no link in the chain: it was written past the chain"
            ))));
        }
        let intact = match head {
            None => state.0 == 0,
            Some((seq, ref hash)) => seq == state.0 && *hash == state.1,
        };
        if !intact {
            let recorded = head.map_or(0, |(seq, _)| seq);
            return Ok(Err(ChainBreak(format!(
                "the chain ends at link {} but its head records link {recorded}: the last events were removed or the head was changed",
                state.0
            ))));
        }
        Ok(Ok(u64::try_from(state.0).unwrap_or(0)))
    }
}

#[cfg(test)]
mod chain_tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn link(seq: i64, prev: [u8; 32], digest: &[u8]) -> (db::audit::LinkRow, [u8; 32]) {
        let hash: [u8; 32] = Sha256::new()
            .chain_update(prev)
            .chain_update(digest)
            .finalize()
            .into();
        let row = db::audit::LinkRow {
            event_id: seq * 10,
            occurred_at: time::macros::datetime!(2026-11-30 09:00 UTC),
            action: "login.succeeded".into(),
            seq,
            hash: hash.to_vec(),
            digest: digest.to_vec(),
        };
        (row, hash)
    }

    #[test]
    fn an_intact_chain_passes_and_any_change_is_named() {
        let (a, ha) = link(1, [0; 32], b"first");
        let (b, hb) = link(2, ha, b"second");
        let (c, hc) = link(3, hb, b"third");
        let links = vec![a, b, c];
        assert_eq!(check_links((0, [0; 32]), &links), Ok((3, hc)));

        let mut changed = links.clone();
        changed[1].digest = b"edited".to_vec();
        let err = check_links((0, [0; 32]), &changed).unwrap_err().0;
        assert!(err.starts_with("link 2 does not match event 20"), "{err}");

        let gap = vec![links[0].clone(), links[2].clone()];
        let err = check_links((0, [0; 32]), &gap).unwrap_err().0;
        assert!(err.starts_with("link 2 is missing"), "{err}");

        // Pages continue from the state the previous page ended in.
        let (_, after_first) = check_links((0, [0; 32]), &links[..1]).unwrap();
        assert_eq!(check_links((1, after_first), &links[1..]), Ok((3, hc)));
    }
}
