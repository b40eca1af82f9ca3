//! The organisation's Active Directory connection (administrators only),
//! and reading people from it.

use super::codec::Json;
use crate::model::directory::{
    DirectoryPerson, DirectorySettings, DirectoryTestResult, SaveDirectoryRequest,
};
use crate::model::{AccountId, AccountSummary, ApiError};
use leptos::prelude::*;

/// The settings, without the look-up password: `POST /api/directory/get`.
#[server(endpoint = "directory/get", input = Json)]
pub async fn get_directory() -> Result<DirectorySettings, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.get_directory(&meta).await
}

/// `POST /api/directory/save`; an empty `bind_password` keeps the stored one.
#[server(endpoint = "directory/save", input = Json)]
pub async fn save_directory(
    directory: SaveDirectoryRequest,
) -> Result<DirectorySettings, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.save_directory(&meta, directory).await
}

/// Test connection with the settings as typed: `POST /api/directory/test`.
#[server(endpoint = "directory/test", input = Json)]
pub async fn test_directory(
    directory: SaveDirectoryRequest,
) -> Result<DirectoryTestResult, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.test_directory(&meta, directory).await
}

/// A person's names and email from the directory, for the create form:
/// `POST /api/directory/lookup`.
#[server(endpoint = "directory/lookup", input = Json)]
pub async fn lookup_directory_person(username: String) -> Result<DirectoryPerson, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.lookup_directory_person(&meta, username).await
}

/// Reads a directory account's names and email again:
/// `POST /api/accounts/refresh-directory`.
#[server(endpoint = "accounts/refresh-directory", input = Json)]
pub async fn refresh_from_directory(id: AccountId) -> Result<AccountSummary, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.refresh_from_directory(&meta, id).await
}
