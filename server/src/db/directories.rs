//! `tenant_directories`: a tenant's Active Directory connection. The
//! look-up password is only ever read and written sealed.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct DirectoryRow {
    pub enabled: bool,
    pub url: String,
    pub allow_plain: bool,
    pub ca_pem: Option<String>,
    pub netbios_domain: Option<String>,
    pub upn_suffix: Option<String>,
    pub base_dn: String,
    pub bind_name: Option<String>,
    pub bind_password_sealed: Option<Vec<u8>>,
    /// Goes up with every save.
    pub version: i64,
}

/// The tenant's directory, `None` when it never had one. `enabled` is
/// `tenants.directory_signin_enabled`.
pub async fn get(conn: &mut PgConnection, tenant_id: Uuid) -> sqlx::Result<Option<DirectoryRow>> {
    sqlx::query_as!(
        DirectoryRow,
        "SELECT t.directory_signin_enabled AS enabled, d.url, d.allow_plain, d.ca_pem,
                d.netbios_domain, d.upn_suffix, d.base_dn, d.bind_name, d.bind_password_sealed,
                d.version
         FROM tenant_directories d JOIN tenants t ON t.id = d.tenant_id
         WHERE d.tenant_id = $1",
        tenant_id
    )
    .fetch_optional(conn)
    .await
}

pub struct SaveDirectory<'a> {
    pub tenant_id: Uuid,
    pub enabled: bool,
    pub url: &'a str,
    pub allow_plain: bool,
    pub ca_pem: Option<&'a str>,
    pub netbios_domain: Option<&'a str>,
    pub upn_suffix: Option<&'a str>,
    pub base_dn: &'a str,
    pub bind_name: Option<&'a str>,
    pub bind_password_sealed: Option<&'a [u8]>,
    pub now: OffsetDateTime,
}

pub async fn save(conn: &mut PgConnection, d: SaveDirectory<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO tenant_directories (tenant_id, url, allow_plain, ca_pem, netbios_domain,
             upn_suffix, base_dn, bind_name, bind_password_sealed, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (tenant_id) DO UPDATE SET url = $2, allow_plain = $3, ca_pem = $4,
             netbios_domain = $5, upn_suffix = $6, base_dn = $7, bind_name = $8,
             bind_password_sealed = $9, updated_at = $10,
             version = tenant_directories.version + 1",
        d.tenant_id,
        d.url,
        d.allow_plain,
        d.ca_pem,
        d.netbios_domain,
        d.upn_suffix,
        d.base_dn,
        d.bind_name,
        d.bind_password_sealed,
        d.now
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE tenants SET directory_signin_enabled = $2 WHERE id = $1",
        d.tenant_id,
        d.enabled
    )
    .execute(conn)
    .await
    .map(|_| ())
}

/// How many tenants keep a sealed look-up password: the server will not
/// start without `ROLLCALL_SECRET_KEY` while any do. Spans all tenants.
pub async fn sealed_password_count(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM tenant_directories WHERE bind_password_sealed IS NOT NULL"#
    )
    .fetch_one(conn)
    .await
}
