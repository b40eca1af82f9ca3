//! The server's side of the port that `app`'s server functions call.

use crate::domain::Services;
use crate::http::cookies;
use app::api::port::{Backend, LoginOutcome, RequestMeta};
use app::model::directory::{
    DirectoryPerson, DirectorySettings, DirectoryTestResult, SaveDirectoryRequest,
};
use app::model::import::{ImportChunk, ImportPreview, ImportResult, StagedChunk};
use app::model::invitations::{
    forgot_password_answer, ForgotPasswordAnswer, InvitationView, LinkStatus, PasswordSet,
    SetPasswordRequest,
};
use app::model::permissions::{
    AccessAnswer, AccessQuestion, AffectedAccount, ApiToken, ColumnId, CreatedApiToken,
    EffectiveMatrix, Form, FormId, Group, GroupId, Level, Matrix, SaveColumnRequest,
    SaveFormRequest, SaveGroupRequest, SetPermissionsRequest,
};
use app::model::Secret;
use app::model::{
    AccountDetails, AccountFormOptions, AccountId, AccountListQuery, AccountPage, AccountSummary,
    ApiError, AuditPage, AuditQuery, ChangePasswordRequest, Client, ClientId, CreateAccountRequest,
    HeartbeatInfo, LicenseInfo, PasswordPolicy, ResetPasswordRequest, SaveClientRequest,
    SessionInfo, TenantSettings, UpdateAccountRequest,
};
use async_trait::async_trait;

#[async_trait]
impl Backend for Services {
    async fn login(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
        password: &Secret,
    ) -> Result<LoginOutcome, ApiError> {
        let done = Services::login(self, meta, tenant, username, password).await?;
        Ok(LoginOutcome {
            set_cookie: cookies::session_cookie(self.settings.secure_cookies, &done.token),
            session: done.session,
        })
    }

    async fn logout(&self, meta: &RequestMeta) -> Result<String, ApiError> {
        Services::logout(self, meta).await?;
        Ok(cookies::clear_session_cookie(self.settings.secure_cookies))
    }

    async fn logout_everywhere(&self, meta: &RequestMeta) -> Result<(u32, String), ApiError> {
        let ended = Services::logout_everywhere(self, meta).await?;
        Ok((
            u32::try_from(ended).unwrap_or(u32::MAX),
            cookies::clear_session_cookie(self.settings.secure_cookies),
        ))
    }

    async fn heartbeat(&self, meta: &RequestMeta, active: bool) -> Result<HeartbeatInfo, ApiError> {
        let caller = Services::heartbeat(self, meta, active).await?;
        Ok(HeartbeatInfo {
            lease_seconds: caller.idle_lease_seconds,
        })
    }

    fn clear_session_cookie(&self) -> String {
        cookies::clear_session_cookie(self.settings.secure_cookies)
    }

    async fn current_session(&self, meta: &RequestMeta) -> Result<Option<SessionInfo>, ApiError> {
        let caller = self.current_caller(meta).await?;
        Ok(caller.map(|c| c.session_info(self.settings.heartbeat_seconds)))
    }

    async fn list_accounts(
        &self,
        meta: &RequestMeta,
        query: AccountListQuery,
    ) -> Result<AccountPage, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::list_accounts(self, &admin, &query).await?)
    }

    async fn export_accounts(
        &self,
        meta: &RequestMeta,
        query: AccountListQuery,
    ) -> Result<String, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::export_accounts(self, &admin, &query).await?)
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
    ) -> Result<AccountDetails, ApiError> {
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

    async fn forgot_password(
        &self,
        meta: &RequestMeta,
        tenant: &str,
        username: &str,
    ) -> Result<ForgotPasswordAnswer, ApiError> {
        Services::forgot_password(self, meta, tenant, username).await?;
        Ok(forgot_password_answer())
    }

    async fn link_status(&self, token: &Secret) -> Result<LinkStatus, ApiError> {
        Ok(Services::link_status(self, token).await?)
    }

    async fn set_password_from_link(
        &self,
        meta: &RequestMeta,
        req: SetPasswordRequest,
    ) -> Result<PasswordSet, ApiError> {
        Ok(Services::set_password_from_link(self, meta, &req).await?)
    }

    async fn resend_invitation(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<InvitationView, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::resend_invitation(self, &admin, id).await?)
    }

    async fn revoke_invitation(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<InvitationView, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::revoke_invitation(self, &admin, id).await?)
    }

    async fn duplicate_account(
        &self,
        meta: &RequestMeta,
        req: app::model::duplicate::DuplicateAccountRequest,
    ) -> Result<AccountSummary, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::duplicate_account(self, &admin, &req).await?)
    }

    async fn list_groups(&self, meta: &RequestMeta) -> Result<Vec<Group>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::list_groups(self, &admin).await?)
    }

    async fn save_group(
        &self,
        meta: &RequestMeta,
        req: SaveGroupRequest,
    ) -> Result<Group, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::save_group(self, &admin, &req).await?)
    }

    async fn group_members(
        &self,
        meta: &RequestMeta,
        id: GroupId,
    ) -> Result<Vec<AffectedAccount>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::group_members(self, &admin, id).await?)
    }

    async fn delete_group(
        &self,
        meta: &RequestMeta,
        id: GroupId,
        confirm: bool,
    ) -> Result<(), ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::delete_group(self, &admin, id, confirm).await?)
    }

    async fn list_forms(&self, meta: &RequestMeta) -> Result<Vec<Form>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::catalogue(self, &admin).await?)
    }

    async fn save_form(
        &self,
        meta: &RequestMeta,
        req: SaveFormRequest,
    ) -> Result<Vec<Form>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::save_form(self, &admin, &req).await?)
    }

    async fn retire_form(
        &self,
        meta: &RequestMeta,
        id: FormId,
        retired: bool,
    ) -> Result<Vec<Form>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::retire_form(self, &admin, id, retired).await?)
    }

    async fn save_column(
        &self,
        meta: &RequestMeta,
        req: SaveColumnRequest,
    ) -> Result<Vec<Form>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::save_column(self, &admin, &req).await?)
    }

    async fn retire_column(
        &self,
        meta: &RequestMeta,
        id: ColumnId,
        retired: bool,
    ) -> Result<Vec<Form>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::retire_column(self, &admin, id, retired).await?)
    }

    async fn get_permissions(&self, meta: &RequestMeta, level: Level) -> Result<Matrix, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::permission_matrix(self, &admin, level).await?)
    }

    async fn set_permissions(
        &self,
        meta: &RequestMeta,
        req: SetPermissionsRequest,
    ) -> Result<Matrix, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::set_permissions(self, &admin, &req).await?)
    }

    async fn check_access(
        &self,
        meta: &RequestMeta,
        username: String,
        form: String,
        column: String,
    ) -> Result<AccessAnswer, ApiError> {
        let caller = self.access_caller(meta).await?;
        Ok(Services::check_access(
            self,
            &caller,
            &AccessQuestion {
                username,
                form,
                column,
            },
        )
        .await?)
    }

    async fn access_matrix(
        &self,
        meta: &RequestMeta,
        username: String,
    ) -> Result<EffectiveMatrix, ApiError> {
        let caller = self.access_caller(meta).await?;
        Ok(Services::effective_matrix(self, &caller, &username).await?)
    }

    async fn list_api_tokens(&self, meta: &RequestMeta) -> Result<Vec<ApiToken>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::list_api_tokens(self, &admin).await?)
    }

    async fn create_api_token(
        &self,
        meta: &RequestMeta,
        name: String,
    ) -> Result<CreatedApiToken, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::create_api_token(self, &admin, &name).await?)
    }

    async fn revoke_api_token(&self, meta: &RequestMeta, id: uuid::Uuid) -> Result<(), ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::revoke_api_token(self, &admin, id).await?)
    }

    async fn license(&self, meta: &RequestMeta) -> Result<LicenseInfo, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::license(self, &admin).await?)
    }

    async fn sign_out_holder(
        &self,
        meta: &RequestMeta,
        account_id: AccountId,
    ) -> Result<app::model::SignOutAnswer, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::sign_out_holder(self, &admin, account_id).await?)
    }

    async fn usage(
        &self,
        meta: &RequestMeta,
        period: app::model::usage::UsagePeriod,
    ) -> Result<app::model::usage::UsageReport, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::usage_report(self, &admin, period).await?)
    }

    async fn reset_password(
        &self,
        meta: &RequestMeta,
        req: ResetPasswordRequest,
    ) -> Result<(), ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::reset_password(self, &admin, &req).await?)
    }

    async fn clear_throttle(&self, meta: &RequestMeta, id: AccountId) -> Result<u64, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::clear_throttle(self, &admin, id).await?)
    }

    async fn account_form_options(
        &self,
        meta: &RequestMeta,
    ) -> Result<AccountFormOptions, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::account_form_options(self, &admin).await?)
    }

    async fn get_settings(&self, meta: &RequestMeta) -> Result<TenantSettings, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::get_settings(self, &admin).await?)
    }

    async fn update_settings(
        &self,
        meta: &RequestMeta,
        settings: TenantSettings,
    ) -> Result<TenantSettings, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::update_settings(self, &admin, &settings).await?)
    }

    async fn list_clients(&self, meta: &RequestMeta) -> Result<Vec<Client>, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::list_clients(self, &admin).await?)
    }

    async fn save_client(
        &self,
        meta: &RequestMeta,
        req: SaveClientRequest,
    ) -> Result<Client, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::save_client(self, &admin, &req).await?)
    }

    async fn archive_client(
        &self,
        meta: &RequestMeta,
        id: ClientId,
        archived: bool,
    ) -> Result<Client, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::archive_client(self, &admin, id, archived).await?)
    }

    async fn preview_import(
        &self,
        meta: &RequestMeta,
        csv: String,
    ) -> Result<ImportPreview, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::preview_import(self, &admin, &csv).await?)
    }

    async fn stage_import(
        &self,
        meta: &RequestMeta,
        chunk: ImportChunk,
    ) -> Result<StagedChunk, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::stage_import(self, &admin, &chunk).await?)
    }

    async fn commit_import(
        &self,
        meta: &RequestMeta,
        batch: uuid::Uuid,
    ) -> Result<ImportResult, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::commit_import(self, &admin, batch).await?)
    }

    async fn password_policy(&self, meta: &RequestMeta) -> Result<PasswordPolicy, ApiError> {
        let caller = self.authenticate_restricted(meta).await?;
        Ok(Services::password_policy(self, &caller).await?)
    }

    async fn change_password(
        &self,
        meta: &RequestMeta,
        req: ChangePasswordRequest,
    ) -> Result<SessionInfo, ApiError> {
        let caller = self.authenticate_restricted(meta).await?;
        Ok(Services::change_password(self, &caller, &req).await?)
    }

    async fn get_directory(&self, meta: &RequestMeta) -> Result<DirectorySettings, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::get_directory(self, &admin).await?)
    }

    async fn save_directory(
        &self,
        meta: &RequestMeta,
        req: SaveDirectoryRequest,
    ) -> Result<DirectorySettings, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::save_directory(self, &admin, &req).await?)
    }

    async fn test_directory(
        &self,
        meta: &RequestMeta,
        req: SaveDirectoryRequest,
    ) -> Result<DirectoryTestResult, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::test_directory(self, &admin, &req).await?)
    }

    async fn lookup_directory_person(
        &self,
        meta: &RequestMeta,
        username: String,
    ) -> Result<DirectoryPerson, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::lookup_directory_person(self, &admin, &username).await?)
    }

    async fn refresh_from_directory(
        &self,
        meta: &RequestMeta,
        id: AccountId,
    ) -> Result<AccountSummary, ApiError> {
        let admin = self.require_admin(meta).await?;
        Ok(Services::refresh_from_directory(self, &admin, id).await?)
    }
}
