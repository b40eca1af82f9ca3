//! Account administration (administrators only).

use super::codec::Json;
use crate::model::import::{ImportChunk, ImportPreview, ImportResult, StagedChunk};
use crate::model::{
    AccountDetails, AccountFormOptions, AccountId, AccountListQuery, AccountPage, AccountSummary,
    ApiError, CreateAccountRequest, ResetPasswordRequest, UpdateAccountRequest,
};
use leptos::prelude::*;

/// One page of the accounts list: `POST /api/accounts/list`.
#[server(endpoint = "accounts/list", input = Json)]
pub async fn list_accounts(query: AccountListQuery) -> Result<AccountPage, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.list_accounts(&meta, query).await
}

/// Every account matching the filters, as CSV: `POST /api/accounts/export`.
#[server(endpoint = "accounts/export", input = Json)]
pub async fn export_accounts(query: AccountListQuery) -> Result<String, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.export_accounts(&meta, query).await
}

/// `POST /api/accounts/create`
#[server(endpoint = "accounts/create", input = Json)]
pub async fn create_account(account: CreateAccountRequest) -> Result<AccountSummary, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.create_account(&meta, account).await
}

/// `POST /api/accounts/delete`
#[server(endpoint = "accounts/delete", input = Json)]
pub async fn delete_account(id: AccountId) -> Result<(), ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.delete_account(&meta, id).await
}

/// `POST /api/accounts/get`
#[server(endpoint = "accounts/get", input = Json)]
pub async fn get_account(id: AccountId) -> Result<AccountDetails, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.get_account(&meta, id).await
}

/// `POST /api/accounts/update`
#[server(endpoint = "accounts/update", input = Json)]
pub async fn update_account(account: UpdateAccountRequest) -> Result<AccountSummary, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.update_account(&meta, account).await
}

/// `POST /api/accounts/reset-password`
#[server(endpoint = "accounts/reset-password", input = Json)]
pub async fn reset_password(reset: ResetPasswordRequest) -> Result<(), ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.reset_password(&meta, reset).await
}

/// Forgets the account's failed sign-ins so it may sign in at once;
/// answers how many throttles were cleared.
/// `POST /api/accounts/clear-throttle`.
#[server(endpoint = "accounts/clear-throttle", input = Json)]
pub async fn clear_throttle(id: AccountId) -> Result<u64, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.clear_throttle(&meta, id).await
}

/// What the account form offers: `POST /api/accounts/form-options`.
#[server(endpoint = "accounts/form-options", input = Json)]
pub async fn get_account_form_options() -> Result<AccountFormOptions, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.account_form_options(&meta).await
}

/// Checks a CSV file of accounts; writes nothing: `POST /api/accounts/import/preview`.
#[server(endpoint = "accounts/import/preview", input = Json)]
pub async fn preview_import(csv: String) -> Result<ImportPreview, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.preview_import(&meta, csv).await
}

/// Stages one chunk of the file: `POST /api/accounts/import/stage`.
#[server(endpoint = "accounts/import/stage", input = Json)]
pub async fn stage_import(chunk: ImportChunk) -> Result<StagedChunk, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.stage_import(&meta, chunk).await
}

/// Creates every staged account in one transaction, or none:
/// `POST /api/accounts/import/commit`.
#[server(endpoint = "accounts/import/commit", input = Json)]
pub async fn commit_import(batch: uuid::Uuid) -> Result<ImportResult, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.commit_import(&meta, batch).await
}

/// Creates an account as a copy of another, with its invitation:
/// `POST /api/accounts/duplicate`.
#[server(endpoint = "accounts/duplicate", input = Json)]
pub async fn duplicate_account(
    request: crate::model::duplicate::DuplicateAccountRequest,
) -> Result<AccountSummary, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.duplicate_account(&meta, request).await
}
