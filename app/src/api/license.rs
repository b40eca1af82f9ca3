//! Seat licensing as the administrator sees it.

use crate::model::{ApiError, LicenseInfo};
use leptos::prelude::*;
use server_fn::codec::Json;

/// `POST /api/license`
#[server(endpoint = "license", input = Json)]
pub async fn get_license() -> Result<LicenseInfo, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.license(&meta).await
}
