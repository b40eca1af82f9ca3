//! Groups, the forms catalogue, the permission matrix and API tokens
//! (administrators), and the access API (administrators, or other systems
//! with a tenant API token: `Authorization: Bearer rc_…`).

use super::codec::Json;
use crate::model::permissions::{
    AccessAnswer, AffectedAccount, ApiToken, ColumnId, CreatedApiToken, EffectiveMatrix, Form,
    FormId, Group, GroupId, Level, Matrix, SaveColumnRequest, SaveFormRequest, SaveGroupRequest,
    SetPermissionsRequest,
};
use crate::model::ApiError;
use leptos::prelude::*;

/// `POST /api/groups/list`
#[server(endpoint = "groups/list", input = Json)]
pub async fn list_groups() -> Result<Vec<Group>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.list_groups(&meta).await
}

/// Creates a group, or renames and describes one: `POST /api/groups/save`.
#[server(endpoint = "groups/save", input = Json)]
pub async fn save_group(group: SaveGroupRequest) -> Result<Group, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.save_group(&meta, group).await
}

/// The accounts in a group: `POST /api/groups/members`.
#[server(endpoint = "groups/members", input = Json)]
pub async fn group_members(id: GroupId) -> Result<Vec<AffectedAccount>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.group_members(&meta, id).await
}

/// Deletes a group; one in use needs `confirm: true`: `POST /api/groups/delete`.
#[server(endpoint = "groups/delete", input = Json)]
pub async fn delete_group(id: GroupId, confirm: bool) -> Result<(), ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.delete_group(&meta, id, confirm).await
}

/// The catalogue of forms and columns: `POST /api/forms/list`.
#[server(endpoint = "forms/list", input = Json)]
pub async fn list_forms() -> Result<Vec<Form>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.list_forms(&meta).await
}

/// Adds or renames a form: `POST /api/forms/save`.
#[server(endpoint = "forms/save", input = Json)]
pub async fn save_form(form: SaveFormRequest) -> Result<Vec<Form>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.save_form(&meta, form).await
}

/// Retires or restores a form: `POST /api/forms/retire`.
#[server(endpoint = "forms/retire", input = Json)]
pub async fn retire_form(id: FormId, retired: bool) -> Result<Vec<Form>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.retire_form(&meta, id, retired).await
}

/// Adds or renames a column: `POST /api/forms/columns/save`.
#[server(endpoint = "forms/columns/save", input = Json)]
pub async fn save_column(column: SaveColumnRequest) -> Result<Vec<Form>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.save_column(&meta, column).await
}

/// Retires or restores a column: `POST /api/forms/columns/retire`.
#[server(endpoint = "forms/columns/retire", input = Json)]
pub async fn retire_column(id: ColumnId, retired: bool) -> Result<Vec<Form>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.retire_column(&meta, id, retired).await
}

/// One level's matrix: `POST /api/permissions/get`.
#[server(endpoint = "permissions/get", input = Json)]
pub async fn get_permissions(level: Level) -> Result<Matrix, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.get_permissions(&meta, level).await
}

/// Changes cells of one level: `POST /api/permissions/set`.
#[server(endpoint = "permissions/set", input = Json)]
pub async fn set_permissions(change: SetPermissionsRequest) -> Result<Matrix, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.set_permissions(&meta, change).await
}

/// "May this account see this column of this form?": `POST /api/access/check`.
#[server(endpoint = "access/check", input = Json)]
pub async fn check_access(
    username: String,
    form: String,
    column: String,
) -> Result<AccessAnswer, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.check_access(&meta, username, form, column).await
}

/// An account's whole effective matrix: `POST /api/access/matrix`.
#[server(endpoint = "access/matrix", input = Json)]
pub async fn access_matrix(username: String) -> Result<EffectiveMatrix, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.access_matrix(&meta, username).await
}

/// `POST /api/tokens/list`
#[server(endpoint = "tokens/list", input = Json)]
pub async fn list_api_tokens() -> Result<Vec<ApiToken>, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.list_api_tokens(&meta).await
}

/// A new API token, its secret shown once: `POST /api/tokens/create`.
#[server(endpoint = "tokens/create", input = Json)]
pub async fn create_api_token(name: String) -> Result<CreatedApiToken, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.create_api_token(&meta, name).await
}

/// `POST /api/tokens/revoke`
#[server(endpoint = "tokens/revoke", input = Json)]
pub async fn revoke_api_token(id: uuid::Uuid) -> Result<(), ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.revoke_api_token(&meta, id).await
}
