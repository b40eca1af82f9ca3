//! Account administration (administrators only).

use crate::model::{
    AccountDetails, AccountFormOptions, AccountId, AccountSummary, ApiError, CreateAccountRequest,
    ResetPasswordRequest, UpdateAccountRequest,
};
use leptos::prelude::*;
use server_fn::codec::Json;

/// `POST /api/accounts/list`
#[server(endpoint = "accounts/list", input = Json)]
pub async fn list_accounts() -> Result<Vec<AccountSummary>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.list_accounts(&meta).await
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

/// What the account form offers: `POST /api/accounts/form-options`.
#[server(endpoint = "accounts/form-options", input = Json)]
pub async fn get_account_form_options() -> Result<AccountFormOptions, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.account_form_options(&meta).await
}
