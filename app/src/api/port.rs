//! The backend port: what the server functions need from the server. `server`
//! implements it; this crate only sees the trait, so the browser build never
//! links sqlx and the backend is testable without a browser.

use crate::model::directory::{
    DirectoryPerson, DirectorySettings, DirectoryTestResult, SaveDirectoryRequest,
};
use crate::model::import::{ImportChunk, ImportPreview, ImportResult, StagedChunk};
use crate::model::invitations::{
    ForgotPasswordAnswer, InvitationView, LinkStatus, PasswordSet, SetPasswordRequest,
};
use crate::model::permissions::{
    AccessAnswer, AffectedAccount, ApiToken, ColumnId, CreatedApiToken, EffectiveMatrix, Form,
    FormId, Group, GroupId, Level, Matrix, SaveColumnRequest, SaveFormRequest, SaveGroupRequest,
    SetPermissionsRequest,
};
use crate::model::Secret;
use crate::model::{
    AccountDetails, AccountFormOptions, AccountId, AccountListQuery, AccountPage, AccountSummary,
    ApiError, AuditPage, AuditQuery, ChangePasswordRequest, Client, ClientId, CreateAccountRequest,
    HeartbeatInfo, LicenseInfo, PasswordPolicy, ResetPasswordRequest, SaveClientRequest,
    SessionInfo, TenantSettings, UpdateAccountRequest,
};
use async_trait::async_trait;
use leptos::prelude::use_context;
use std::sync::Arc;

/// What the HTTP layer learnt about the caller, handed to every operation.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The raw session token from the cookie, if any.
    pub session_token: Option<Secret>,
    /// `Authorization: Bearer <token>`: a tenant API token (the access API).
    pub bearer_token: Option<Secret>,
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
        password: &Secret,
    ) -> Result<LoginOutcome, ApiError>;
    /// Ends the caller's session (if any); returns the `Set-Cookie` that clears it.
    async fn logout(&self, meta: &RequestMeta) -> Result<String, ApiError>;
    /// Ends all of the caller's sessions: how many, and the `Set-Cookie`
    /// that clears this one.
    async fn logout_everywhere(&self, meta: &RequestMeta) -> Result<(u32, String), ApiError>;
    /// `active`: the person used the app since the last beat.
    async fn heartbeat(&self, meta: &RequestMeta, active: bool) -> Result<HeartbeatInfo, ApiError>;
    async fn current_session(&self, meta: &RequestMeta) -> Result<Option<SessionInfo>, ApiError>;
    /// A complete `Set-Cookie` header value that removes the session cookie.
    fn clear_session_cookie(&self) -> String;
    async fn list_accounts(
        &self,
        meta: &RequestMeta,
        query: AccountListQuery,
    ) -> Result<AccountPage, ApiError>;
    async fn export_accounts(
        &self,
        meta: &RequestMeta,
        query: AccountListQuery,
    ) -> Result<String, ApiError>;
    async fn create_account(
        &self,
        meta: &RequestMeta,
        req: CreateAccountRequest,
    ) -> Result<AccountSummary, ApiError>;
    async fn get_account(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<AccountDetails, ApiError>;
    async fn update_account(
        &self,
        meta: &RequestMeta,
        req: UpdateAccountRequest,
    ) -> Result<AccountSummary, ApiError>;
    async fn delete_account(&self, meta: &RequestMeta, id: AccountId) -> Result<(), ApiError>;
    async fn reset_password(
        &self,
        meta: &RequestMeta,
        req: ResetPasswordRequest,
    ) -> Result<(), ApiError>;
    async fn clear_throttle(&self, meta: &RequestMeta, id: AccountId) -> Result<u64, ApiError>;
    async fn account_form_options(
        &self,
        meta: &RequestMeta,
    ) -> Result<AccountFormOptions, ApiError>;
    async fn get_settings(&self, meta: &RequestMeta) -> Result<TenantSettings, ApiError>;
    async fn update_settings(
        &self,
        meta: &RequestMeta,
        settings: TenantSettings,
    ) -> Result<TenantSettings, ApiError>;
    async fn list_clients(&self, meta: &RequestMeta) -> Result<Vec<Client>, ApiError>;
    async fn save_client(
        &self,
        meta: &RequestMeta,
        req: SaveClientRequest,
    ) -> Result<Client, ApiError>;
    async fn archive_client(
        &self,
        meta: &RequestMeta,
        id: ClientId,
        archived: bool,
    ) -> Result<Client, ApiError>;
    async fn preview_import(
        &self,
        meta: &RequestMeta,
        csv: String,
    ) -> Result<ImportPreview, ApiError>;
    async fn stage_import(
        &self,
        meta: &RequestMeta,
        chunk: ImportChunk,
    ) -> Result<StagedChunk, ApiError>;
    async fn commit_import(
        &self,
        meta: &RequestMeta,
        batch: uuid::Uuid,
    ) -> Result<ImportResult, ApiError>;
    async fn password_policy(&self, meta: &RequestMeta) -> Result<PasswordPolicy, ApiError>;
    async fn change_password(
        &self,
        meta: &RequestMeta,
        req: ChangePasswordRequest,
    ) -> Result<SessionInfo, ApiError>;
    async fn forgot_password(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
    ) -> Result<ForgotPasswordAnswer, ApiError>;
    async fn link_status(&self, token: &Secret) -> Result<LinkStatus, ApiError>;
    async fn set_password_from_link(
        &self,
        meta: &RequestMeta,
        req: SetPasswordRequest,
    ) -> Result<PasswordSet, ApiError>;
    async fn resend_invitation(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<InvitationView, ApiError>;
    async fn revoke_invitation(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<InvitationView, ApiError>;
    async fn duplicate_account(
        &self,
        meta: &RequestMeta,
        req: crate::model::duplicate::DuplicateAccountRequest,
    ) -> Result<AccountSummary, ApiError>;
    async fn list_groups(&self, meta: &RequestMeta) -> Result<Vec<Group>, ApiError>;
    async fn save_group(
        &self,
        meta: &RequestMeta,
        req: SaveGroupRequest,
    ) -> Result<Group, ApiError>;
    async fn group_members(
        &self,
        meta: &RequestMeta,
        id: GroupId,
    ) -> Result<Vec<AffectedAccount>, ApiError>;
    async fn delete_group(
        &self,
        meta: &RequestMeta,
        id: GroupId,
        confirm: bool,
    ) -> Result<(), ApiError>;
    async fn list_forms(&self, meta: &RequestMeta) -> Result<Vec<Form>, ApiError>;
    async fn save_form(
        &self,
        meta: &RequestMeta,
        req: SaveFormRequest,
    ) -> Result<Vec<Form>, ApiError>;
    async fn retire_form(
        &self,
        meta: &RequestMeta,
        id: FormId,
        retired: bool,
    ) -> Result<Vec<Form>, ApiError>;
    async fn save_column(
        &self,
        meta: &RequestMeta,
        req: SaveColumnRequest,
    ) -> Result<Vec<Form>, ApiError>;
    async fn retire_column(
        &self,
        meta: &RequestMeta,
        id: ColumnId,
        retired: bool,
    ) -> Result<Vec<Form>, ApiError>;
    async fn get_permissions(&self, meta: &RequestMeta, level: Level) -> Result<Matrix, ApiError>;
    async fn set_permissions(
        &self,
        meta: &RequestMeta,
        req: SetPermissionsRequest,
    ) -> Result<Matrix, ApiError>;
    async fn check_access(
        &self,
        meta: &RequestMeta,
        username: String,
        form: String,
        column: String,
    ) -> Result<AccessAnswer, ApiError>;
    async fn access_matrix(
        &self,
        meta: &RequestMeta,
        username: String,
    ) -> Result<EffectiveMatrix, ApiError>;
    async fn list_api_tokens(&self, meta: &RequestMeta) -> Result<Vec<ApiToken>, ApiError>;
    async fn create_api_token(
        &self,
        meta: &RequestMeta,
        name: String,
    ) -> Result<CreatedApiToken, ApiError>;
    async fn revoke_api_token(&self, meta: &RequestMeta, id: uuid::Uuid) -> Result<(), ApiError>;
    async fn license(&self, meta: &RequestMeta) -> Result<LicenseInfo, ApiError>;
    async fn sign_out_holder(
        &self,
        meta: &RequestMeta,
        account_id: AccountId,
    ) -> Result<crate::model::SignOutAnswer, ApiError>;
    async fn usage(
        &self,
        meta: &RequestMeta,
        period: crate::model::usage::UsagePeriod,
    ) -> Result<crate::model::usage::UsageReport, ApiError>;
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
    async fn get_directory(&self, meta: &RequestMeta) -> Result<DirectorySettings, ApiError>;
    async fn save_directory(
        &self,
        meta: &RequestMeta,
        req: SaveDirectoryRequest,
    ) -> Result<DirectorySettings, ApiError>;
    async fn test_directory(
        &self,
        meta: &RequestMeta,
        req: SaveDirectoryRequest,
    ) -> Result<DirectoryTestResult, ApiError>;
    async fn lookup_directory_person(
        &self,
        meta: &RequestMeta,
        username: String,
    ) -> Result<DirectoryPerson, ApiError>;
    async fn refresh_from_directory(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<AccountSummary, ApiError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// The backend and the caller, as the HTTP layer provided them.
pub fn context() -> Result<(SharedBackend, RequestMeta), ApiError> {
    let backend = use_context::<SharedBackend>().ok_or_else(ApiError::internal)?;
    let meta = use_context::<RequestMeta>().unwrap_or_default();
    Ok((backend, meta))
}

pub fn set_status(status: http::StatusCode) {
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(status);
    }
}

pub fn set_cookie(value: &str) {
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        options.append_header(http::header::SET_COOKIE, value);
    }
}
