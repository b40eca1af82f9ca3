//! Tenant API tokens, the access API's way in for other systems: created
//! and revoked by administrators, shown once, stored as SHA-256 hashes;
//! and [`AccessCaller`], the proof a request may read a tenant's
//! permissions (an administrator's session or a live token).

use super::audit::{self, Action, Target};
use super::caller::AdminCaller;
use super::Services;
use crate::crypto;
use crate::db::{self, permissions as dbp, Scope};
use crate::error::{Error, Result};
use app::api::port::RequestMeta;
use app::model::permissions::{parse_name, ApiToken, CreatedApiToken};
use app::model::Secret;
use app::model::{ApiError, ErrorCode};
use serde_json::json;
use uuid::Uuid;

/// Proof that the caller may read a tenant's permissions: an administrator's
/// session or one of the tenant's API tokens.
#[derive(Debug, Clone)]
pub struct AccessCaller {
    pub tenant_id: Uuid,
}

/// Refreshes a token's "last used" at most this often (a check stays a read).
const TOKEN_TOUCH_SECONDS: i64 = 60;

fn invalid(field: &str, message: impl Into<String>) -> Error {
    ApiError::validation(field, message).into()
}

impl Services {
    /// An administrator's session, or `Authorization: Bearer <API token>`.
    pub async fn access_caller(&self, meta: &RequestMeta) -> Result<AccessCaller> {
        if let Some(secret) = meta.bearer_token.as_ref().map(Secret::expose) {
            let now = self.now();
            let hash = crypto::token_hash(secret);
            let mut tx = db::begin(&self.pool, Scope::ApiToken(&hash)).await?;
            let token = dbp::live_token(&mut tx, &hash)
                .await?
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::Unauthenticated,
                        "This API token is not valid or was revoked. Ask an administrator for a new one.",
                    )
                })?;
            if token
                .last_used_at
                .is_none_or(|t| (now - t).whole_seconds() >= TOKEN_TOUCH_SECONDS)
            {
                dbp::touch_token(&mut tx, token.id, now).await?;
                tx.commit().await?;
            }
            return Ok(AccessCaller {
                tenant_id: token.tenant_id,
            });
        }
        let admin = self.require_admin(meta).await?;
        Ok(AccessCaller {
            tenant_id: admin.tenant_id.as_uuid(),
        })
    }
}

impl Services {
    pub async fn list_api_tokens(&self, admin: &AdminCaller) -> Result<Vec<ApiToken>> {
        let mut conn = db::begin(&self.pool, admin.scope()).await?;
        Ok(dbp::list_tokens(&mut conn, admin.tenant_id.as_uuid())
            .await?
            .into_iter()
            .map(|t| ApiToken {
                id: t.id,
                name: t.name,
                created_at: t.created_at,
                created_by: t.created_by,
                last_used_at: t.last_used_at,
                revoked: t.revoked_at.is_some(),
            })
            .collect())
    }

    /// A new API token; its secret is answered once and stored hashed.
    pub async fn create_api_token(
        &self,
        admin: &AdminCaller,
        name: &str,
    ) -> Result<CreatedApiToken> {
        let name = parse_name("token", name).map_err(|m| invalid("name", m))?;
        let (raw, _) = crypto::new_session_token()?;
        let secret = format!("rc_{}", raw.expose());
        let hash = crypto::token_hash(&secret);
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let id = dbp::insert_token(
            &mut tx,
            tenant_id,
            &name,
            &hash,
            admin.account_id.as_uuid(),
            now,
        )
        .await?;
        record_token_event(&mut tx, admin, Action::ApiTokenCreated, (id, &name), now).await?;
        tx.commit().await?;
        Ok(CreatedApiToken {
            token: ApiToken {
                id,
                name,
                created_at: now,
                created_by: Some(admin.username.clone()),
                last_used_at: None,
                revoked: false,
            },
            secret: secret.into(),
        })
    }

    pub async fn revoke_api_token(&self, admin: &AdminCaller, id: Uuid) -> Result<()> {
        let tenant_id = admin.tenant_id.as_uuid();
        let now = self.now();
        let mut tx = db::begin(&self.pool, admin.scope()).await?;
        let name = dbp::revoke_token(&mut tx, tenant_id, id, now)
            .await?
            .ok_or_else(|| ApiError::not_found("API token"))?;
        record_token_event(&mut tx, admin, Action::ApiTokenRevoked, (id, &name), now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Audits a token's creation or revocation: the token is the target, by
/// its (id, name); its secret never.
async fn record_token_event(
    tx: &mut sqlx::PgConnection,
    admin: &AdminCaller,
    action: Action,
    (id, name): (Uuid, &str),
    now: time::OffsetDateTime,
) -> Result<()> {
    let target = Target::of("api_token", id, name);
    audit::record(tx, audit::Event::by(admin, action, target, json!({}), now)).await?;
    Ok(())
}
