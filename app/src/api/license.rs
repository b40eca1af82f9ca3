//! Seat licensing as the administrator sees it.

use super::codec::Json;
use crate::model::{AccountId, ApiError, LicenseInfo, SignOutAnswer};
use leptos::prelude::*;

/// `POST /api/license`
#[server(endpoint = "license", input = Json)]
pub async fn get_license() -> Result<LicenseInfo, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.license(&meta).await
}

/// `POST /api/license/sign-out`: ends every session of one seat holder
/// (not yourself), freeing their seat at once.
#[server(endpoint = "license/sign-out", input = Json)]
pub async fn sign_out_holder(account_id: AccountId) -> Result<SignOutAnswer, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.sign_out_holder(&meta, account_id).await
}

/// `POST /api/license/usage`: the usage history for one period.
#[server(endpoint = "license/usage", input = Json)]
pub async fn get_usage(
    period: crate::model::usage::UsagePeriod,
) -> Result<crate::model::usage::UsageReport, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.usage(&meta, period).await
}
