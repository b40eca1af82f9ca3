//! Seat licensing as the administrator sees it.

use super::codec::Json;
use crate::model::{ApiError, LicenseInfo};
use leptos::prelude::*;

/// `POST /api/license`
#[server(endpoint = "license", input = Json)]
pub async fn get_license() -> Result<LicenseInfo, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.license(&meta).await
}
