//! Signing in and out, and keeping a seat while the app is open.

use super::codec::Json;
use crate::model::{ApiError, HeartbeatInfo, SessionInfo};
use leptos::prelude::*;

/// Signs in and takes a seat. Public, stable: `POST /api/login`.
#[server(endpoint = "login", input = Json)]
pub async fn login(
    tenant: String,
    username: String,
    password: crate::model::Secret,
) -> Result<SessionInfo, ApiError> {
    let (backend, meta) = super::port::context()?;
    let outcome = backend.login(&meta, &tenant, &username, &password).await?;
    super::port::set_cookie(&outcome.set_cookie);
    Ok(outcome.session)
}

/// Ends the session and frees its seat at once. `POST /api/logout`.
#[server(endpoint = "logout", input = Json)]
pub async fn logout() -> Result<(), ApiError> {
    let (backend, meta) = super::port::context()?;
    let clear = backend.logout(&meta).await?;
    super::port::set_cookie(&clear);
    Ok(())
}

/// Ends every session of the caller, this one included, on every device
/// (OWASP ASVS 5.0 V7.5.2, in part: the sessions are not listed); answers
/// how many ended.
/// `POST /api/logout-everywhere`.
#[server(endpoint = "logout-everywhere", input = Json)]
pub async fn logout_everywhere() -> Result<u32, ApiError> {
    let (backend, meta) = super::port::context()?;
    let (ended, clear) = backend.logout_everywhere(&meta).await?;
    super::port::set_cookie(&clear);
    Ok(ended)
}

/// Keeps the caller's seat. `POST /api/heartbeat` with `{}` or
/// `{"active": true}` when the person used the app since the last beat
/// (idle time, for the eviction policy and the device limit, counts from
/// the last activity, not the last heartbeat).
#[server(endpoint = "heartbeat", input = Json)]
pub async fn heartbeat(active: Option<bool>) -> Result<HeartbeatInfo, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.heartbeat(&meta, active.unwrap_or(false)).await
}

/// Who is signed in, or `null`. `POST /api/session`.
#[server(endpoint = "session", input = Json)]
pub async fn current_session() -> Result<Option<SessionInfo>, ApiError> {
    let (backend, meta) = super::port::context()?;
    let answer = backend.current_session(&meta).await;
    // Said once: the ended session's cookie goes with the answer.
    if matches!(&answer, Err(e) if e.code == crate::model::ErrorCode::Unauthenticated) {
        super::port::set_cookie(&backend.clear_session_cookie());
    }
    answer
}
