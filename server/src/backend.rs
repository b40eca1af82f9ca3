//! The server's side of the port that `app`'s server functions call.

use crate::domain::Services;
use app::api::port::{Backend, LoginOutcome, RequestMeta};
use app::model::{
    AccountId, AccountSummary, ApiError, AuditPage, AuditQuery, CreateAccountRequest,
    HeartbeatInfo, LicenseInfo, SessionInfo, UpdateAccountRequest,
};
use async_trait::async_trait;

#[async_trait]
impl Backend for Services {
    async fn login(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
        password: &str,
    ) -> Result<LoginOutcome, ApiError> {
        let done = Services::login(self, meta, tenant, username, password).await?;
        Ok(LoginOutcome {
            set_cookie: self.session_cookie(&done.token),
            session: done.session,
        })
    }

    async fn logout(&self, meta: &RequestMeta) -> Result<String, ApiError> {
        Services::logout(self, meta).await?;
        Ok(self.clear_session_cookie())
    }

    async fn heartbeat(&self, meta: &RequestMeta) -> Result<HeartbeatInfo, ApiError> {
        let caller = self.authenticate(meta).await?;
        Ok(HeartbeatInfo {
            lease_seconds: caller.idle_lease_seconds,
        })
    }

    async fn current_session(&self, meta: &RequestMeta) -> Result<Option<SessionInfo>, ApiError> {
        let caller = self.try_authenticate(meta).await?;
        Ok(caller.map(|c| c.session_info(self.settings.heartbeat_seconds)))
    }

    async fn list_accounts(&self, meta: &RequestMeta) -> Result<Vec<AccountSummary>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::list_accounts(self, &admin).await?)
    }

    async fn create_account(
        &self,
        meta: &RequestMeta,
        req: CreateAccountRequest,
    ) -> Result<AccountSummary, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::create_account(self, &admin, &req).await?)
    }

    async fn get_account(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<AccountSummary, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::get_account(self, &admin, id).await?)
    }

    async fn update_account(
        &self,
        meta: &RequestMeta,
        req: UpdateAccountRequest,
    ) -> Result<AccountSummary, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::update_account(self, &admin, &req).await?)
    }

    async fn delete_account(&self, meta: &RequestMeta, id: AccountId) -> Result<(), ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::delete_account(self, &admin, id).await?)
    }

    async fn list_audit_events(
        &self,
        meta: &RequestMeta,
        query: AuditQuery,
    ) -> Result<AuditPage, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::list_audit_events(self, &admin, &query).await?)
    }

    async fn export_audit_events(
        &self,
        meta: &RequestMeta,
        query: AuditQuery,
    ) -> Result<String, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::export_audit_events(self, &admin, &query).await?)
    }

    async fn license(&self, meta: &RequestMeta) -> Result<LicenseInfo, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::license(self, &admin).await?)
    }
}
