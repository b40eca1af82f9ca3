//! The organisation's settings and clients (administrators only), and the
//! signed-in person's own password.

use super::codec::Json;
use crate::model::{
    ApiError, ChangePasswordRequest, Client, ClientId, PasswordPolicy, SaveClientRequest,
    SessionInfo, TenantSettings,
};
use leptos::prelude::*;

/// `POST /api/settings/get`
#[server(endpoint = "settings/get", input = Json)]
pub async fn get_settings() -> Result<TenantSettings, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.get_settings(&meta).await
}

/// `POST /api/settings/update`
#[server(endpoint = "settings/update", input = Json)]
pub async fn update_settings(settings: TenantSettings) -> Result<TenantSettings, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.update_settings(&meta, settings).await
}

/// `POST /api/clients/list`
#[server(endpoint = "clients/list", input = Json)]
pub async fn list_clients() -> Result<Vec<Client>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.list_clients(&meta).await
}

/// Creates a client, or renames one: `POST /api/clients/save`.
#[server(endpoint = "clients/save", input = Json)]
pub async fn save_client(client: SaveClientRequest) -> Result<Client, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.save_client(&meta, client).await
}

/// Archives or restores a client: `POST /api/clients/archive`.
#[server(endpoint = "clients/archive", input = Json)]
pub async fn archive_client(id: ClientId, archived: bool) -> Result<Client, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.archive_client(&meta, id, archived).await
}

/// The caller's password policy (any signed-in person): `POST /api/password/policy`.
#[server(endpoint = "password/policy", input = Json)]
pub async fn get_password_policy() -> Result<PasswordPolicy, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.password_policy(&meta).await
}

/// Changes the caller's own password; the only thing a session that must
/// change its password may do. `POST /api/password/change`.
#[server(endpoint = "password/change", input = Json)]
pub async fn change_password(change: ChangePasswordRequest) -> Result<SessionInfo, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.change_password(&meta, change).await
}
