//! The backend port: what the server functions need from the server. `server`
//! implements it; this crate only sees the trait, so the browser build never
//! links sqlx and the backend is testable without a browser.

use crate::model::{
    AccountId, AccountSummary, ApiError, AuditPage, AuditQuery, CreateAccountRequest,
    HeartbeatInfo, LicenseInfo, SessionInfo, UpdateAccountRequest,
};
use async_trait::async_trait;
use leptos::prelude::use_context;
use std::sync::Arc;

/// What the HTTP layer learnt about the caller, handed to every operation.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The raw session token from the cookie, if any.
    pub session_token: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub struct LoginOutcome {
    pub session: SessionInfo,
    /// A complete `Set-Cookie` header value.
    pub set_cookie: String,
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn login(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<LoginOutcome, ApiError>;
    /// Ends the caller's session (if any); returns the `Set-Cookie` that clears it.
    async fn logout(&self, meta: &RequestMeta) -> Result<String, ApiError>;
    async fn heartbeat(&self, meta: &RequestMeta) -> Result<HeartbeatInfo, ApiError>;
    async fn current_session(&self, meta: &RequestMeta) -> Result<Option<SessionInfo>, ApiError>;
    async fn list_accounts(&self, meta: &RequestMeta) -> Result<Vec<AccountSummary>, ApiError>;
    async fn create_account(
        &self,
        meta: &RequestMeta,
        req: CreateAccountRequest,
    ) -> Result<AccountSummary, ApiError>;
    async fn get_account(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<AccountSummary, ApiError>;
    async fn update_account(
        &self,
        meta: &RequestMeta,
        req: UpdateAccountRequest,
    ) -> Result<AccountSummary, ApiError>;
    async fn delete_account(&self, meta: &RequestMeta, id: AccountId) -> Result<(), ApiError>;
    async fn license(&self, meta: &RequestMeta) -> Result<LicenseInfo, ApiError>;
    async fn list_audit_events(
        &self,
        meta: &RequestMeta,
        query: AuditQuery,
    ) -> Result<AuditPage, ApiError>;
    async fn export_audit_events(
        &self,
        meta: &RequestMeta,
        query: AuditQuery,
    ) -> Result<String, ApiError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The backend and the caller, as the HTTP layer provided them.
pub fn context() -> Result<(SharedBackend, RequestMeta), ApiError> {
    let backend = use_context::<SharedBackend>().ok_or_else(ApiError::internal)?;
    let meta = use_context::<RequestMeta>().unwrap_or_default();
    Ok((backend, meta))
}

pub fn set_cookie(value: &str) {
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        options.append_header(http::header::SET_COOKIE, value);
    }
}
