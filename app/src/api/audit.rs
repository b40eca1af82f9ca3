//! The audit trail (administrators only).

use super::codec::Json;
use crate::model::{ApiError, AuditPage, AuditQuery};
use leptos::prelude::*;

/// `POST /api/audit/list`
#[server(endpoint = "audit/list", input = Json)]
pub async fn list_audit_events(query: AuditQuery) -> Result<AuditPage, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.list_audit_events(&meta, query).await
}

/// `POST /api/audit/export`: every matching event as CSV text.
#[server(endpoint = "audit/export", input = Json)]
pub async fn export_audit_events(query: AuditQuery) -> Result<String, ApiError> {
    let (backend, meta) = super::port::context()?;
    backend.export_audit_events(&meta, query).await
}
