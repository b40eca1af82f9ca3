//! Refused attempts in the audit trail (#25; ASVS 5.0 V16.3.2 "failed
//! authorization attempts", V16.3.3 "attempts to bypass security
//! controls"): a signed-in person refused an administrator's operation
//! (`403 forbidden`) or an id outside their organisation (`404 not_found`),
//! a request from another website (`403 cross_origin`), a sign-in or
//! password change held back by the throttle (`429`).
//!
//! A flood of refusals must not fill the audit trail, so each actor (an
//! account, or the name typed at sign-in) from one address gets at most
//! [`PER_WINDOW`] such events per [`WINDOW`]; what is left out is counted,
//! and the first event of the next window says how many
//! (`"suppressed_before": n`).

use super::audit::{self, Action, Target};
use super::caller::Actor;
use super::Services;
use crate::db::{self, refusals::WindowRow};
use crate::error::Result;
use app::api::port::RequestMeta;
use app::model::{ApiError, ErrorCode};
use serde_json::{json, Value};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// Refusal events recorded per actor and address in one window.
pub const PER_WINDOW: i32 = 10;
/// The length of a window.
pub const WINDOW: Duration = Duration::minutes(1);
/// Ids of the request quoted in an event, at most.
const IDS_MAX: usize = 5;

/// What becomes of one more refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admitted {
    /// Record it; `suppressed_before` were left out of the previous window.
    Record { suppressed_before: i32 },
    /// Count it only.
    Suppress,
}

/// The rule, pure: the actor's window after one more refusal at `now`, and
/// whether that refusal is recorded.
pub fn admit(previous: Option<WindowRow>, now: OffsetDateTime) -> (WindowRow, Admitted) {
    match previous {
        Some(w) if now - w.window_start < WINDOW => {
            if w.recorded < PER_WINDOW {
                (
                    WindowRow {
                        recorded: w.recorded + 1,
                        ..w
                    },
                    Admitted::Record {
                        suppressed_before: 0,
                    },
                )
            } else {
                (
                    WindowRow {
                        suppressed: w.suppressed.saturating_add(1),
                        ..w
                    },
                    Admitted::Suppress,
                )
            }
        }
        previous => (
            WindowRow {
                window_start: now,
                recorded: 1,
                suppressed: 0,
            },
            Admitted::Record {
                suppressed_before: previous.map_or(0, |w| w.suppressed),
            },
        ),
    }
}

/// Records the refusal `event` in `conn` (a transaction of its tenant)
/// unless its actor has had [`PER_WINDOW`] recorded in the current window;
/// the first of a new window carries how many the last one left out. An
/// event of no tenant (a sign-in naming an unknown organisation) is recorded
/// as it is: the windows live with the tenant.
pub async fn record(conn: &mut PgConnection, event: audit::Event<'_>) -> Result<Admitted> {
    let Some(tenant_id) = event.tenant_id else {
        audit::record(conn, event).await?;
        return Ok(Admitted::Record {
            suppressed_before: 0,
        });
    };
    // Whoever is not signed in counts by address alone: a flood that types
    // a new name each time is still one actor. Addresses count as the
    // sign-in throttle counts them (an IPv6 /64 is one).
    let who = match event.actor {
        Actor::Account { id, .. } => id.to_string(),
        Actor::Operator { name } => format!("operator:{name}"),
        Actor::Anonymous { .. } => "anonymous".to_owned(),
    };
    let address = event
        .origin
        .ip
        .as_deref()
        .map(super::throttle::address_key)
        .unwrap_or_default();
    let key: String = format!("{who}|{address}").chars().take(300).collect();
    // Windows an hour over say nothing more (a count left out that long
    // ago is dropped): the table stays as small as the last hour's actors.
    db::refusals::prune(conn, tenant_id, event.at - Duration::hours(1)).await?;
    let previous = db::refusals::lock(conn, tenant_id, &key).await?;
    let (window, admitted) = admit(previous, event.at);
    db::refusals::store(conn, tenant_id, &key, window).await?;
    if let Admitted::Record { suppressed_before } = admitted {
        let mut event = event;
        if suppressed_before > 0 {
            event.details["suppressed_before"] = json!(suppressed_before);
        }
        audit::record(conn, event).await?;
    }
    Ok(admitted)
}

/// The ids (UUIDs) a request body names, in the order they appear, at most
/// [`IDS_MAX`]: what the refused request tried to reach.
pub fn ids_in(body: &[u8]) -> Vec<Uuid> {
    fn walk(v: &Value, out: &mut Vec<Uuid>) {
        if out.len() >= IDS_MAX {
            return;
        }
        match v {
            Value::String(s) => {
                if let Ok(id) = Uuid::parse_str(s) {
                    if !out.contains(&id) {
                        out.push(id);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        walk(&v, &mut out);
    }
    out
}

/// Whether an API error is a refusal that belongs in the audit trail when a
/// signed-in person met it.
pub fn is_audited_refusal(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Forbidden | ErrorCode::NotFound | ErrorCode::CrossOrigin
    )
}

impl Services {
    /// Audits `error`, answered to the request to `endpoint` with `body`,
    /// when it is a refusal ([`is_audited_refusal`]) and the request came
    /// with a live session: as `access.denied` by that person, naming the
    /// endpoint (the attempted action), the ids it tried to reach and the
    /// code. Nothing is recorded for requests without a session (nobody to
    /// name; sign-in refusals are audited by the sign-in itself). Failures
    /// to record are logged, never answered: the refusal stands.
    pub async fn audit_refused_request(
        &self,
        meta: &RequestMeta,
        endpoint: &str,
        error: &ApiError,
        body: &[u8],
    ) {
        if !is_audited_refusal(error.code) || meta.session_token.is_none() {
            return;
        }
        let recorded = async {
            // Not counted as the person's activity: the request may be a forged one.
            let Some(caller) = self.touch_session(meta, false).await? else {
                return Ok(());
            };
            let ids = ids_in(body);
            let mut tx = db::begin(&self.pool, caller.scope()).await?;
            record(
                &mut tx,
                audit::Event::by(
                    &caller,
                    Action::AccessDenied,
                    Some(Target {
                        kind: "endpoint",
                        id: ids.first().copied(),
                        label: endpoint,
                    }),
                    json!({
                        "endpoint": endpoint,
                        "code": error.code.as_str(),
                        "ids": ids,
                        "role": caller.role.as_str(),
                    }),
                    self.now(),
                ),
            )
            .await?;
            tx.commit().await?;
            Result::<()>::Ok(())
        };
        if let Err(e) = recorded.await {
            tracing::warn!(endpoint, error = %e, "could not audit a refused request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(1_800_000_000 + seconds)
    }

    #[test]
    fn a_window_records_its_share_then_counts_the_rest() {
        let mut window = None;
        let mut recorded = 0;
        for i in 0..25 {
            let (w, admitted) = admit(window, at(i));
            if admitted != Admitted::Suppress {
                recorded += 1;
            }
            window = Some(w);
        }
        assert_eq!(recorded, PER_WINDOW);
        let w = window.unwrap();
        assert_eq!((w.recorded, w.suppressed), (PER_WINDOW, 25 - PER_WINDOW));
        // The next window's first event says how many were left out.
        let (w, admitted) = admit(Some(w), at(60));
        assert_eq!(
            admitted,
            Admitted::Record {
                suppressed_before: 25 - PER_WINDOW
            }
        );
        assert_eq!((w.window_start, w.recorded, w.suppressed), (at(60), 1, 0));
        // A window that left nothing out says nothing.
        let (_, admitted) = admit(Some(w), at(200));
        assert_eq!(
            admitted,
            Admitted::Record {
                suppressed_before: 0
            }
        );
    }

    #[test]
    fn a_body_names_the_ids_it_tried() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let body = json!({"id": a, "x": {"ids": [b, a, "nope"]}, "n": 5}).to_string();
        let ids = ids_in(body.as_bytes());
        assert_eq!(ids.len(), 2);
        assert!(ids.contains(&a) && ids.contains(&b));
        assert!(ids_in(b"not json").is_empty());
        let many: Vec<Uuid> = (0..20).map(Uuid::from_u128).collect();
        assert_eq!(ids_in(json!(many).to_string().as_bytes()).len(), IDS_MAX);
    }
}
