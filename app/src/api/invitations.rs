//! Invitations and password-reset links. The first three endpoints are
//! public: holding the link (or knowing the username) is the only proof.

use super::codec::Json;
use crate::model::invitations::{
    ForgotPasswordAnswer, InvitationView, LinkStatus, PasswordSet, SetPasswordRequest,
};
use crate::model::{AccountId, ApiError};
use leptos::prelude::*;

/// "Forgot password?": `POST /api/password/forgot` answers `202 Accepted`
/// with the same body whether or not the account exists.
#[server(endpoint = "password/forgot", input = Json)]
pub async fn forgot_password(
    tenant: String,
    username: String,
) -> Result<ForgotPasswordAnswer, ApiError> {
    let (backend, meta) = super::port::context()?;
    let answer = backend.forgot_password(&meta, &tenant, &username).await?;
    super::port::set_status(http::StatusCode::ACCEPTED);
    Ok(answer)
}

/// What the page behind an invitation or reset link shows:
/// `POST /api/password/link`.
#[server(endpoint = "password/link", input = Json)]
pub async fn get_link_status(token: crate::model::Secret) -> Result<LinkStatus, ApiError> {
    let (backend, _) = super::port::context()?;
    backend.link_status(&token).await
}

/// Sets a password from an invitation or reset link, once:
/// `POST /api/password/set`.
#[server(endpoint = "password/set", input = Json)]
pub async fn set_password_from_link(request: SetPasswordRequest) -> Result<PasswordSet, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.set_password_from_link(&meta, request).await
}

/// Sends an invited account a new invitation (administrators):
/// `POST /api/accounts/invitation/resend`.
#[server(endpoint = "accounts/invitation/resend", input = Json)]
pub async fn resend_invitation(id: AccountId) -> Result<InvitationView, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.resend_invitation(&meta, id).await
}

/// Withdraws an account's pending invitation (administrators):
/// `POST /api/accounts/invitation/revoke`.
#[server(endpoint = "accounts/invitation/revoke", input = Json)]
pub async fn revoke_invitation(id: AccountId) -> Result<InvitationView, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.revoke_invitation(&meta, id).await
}
