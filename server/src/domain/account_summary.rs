//! How a stored account is answered: its summary (`AccountSummary`), the
//! shape every list, edit and directory refresh returns.

use super::caller::is_expired;
use crate::db::accounts::AccountRow;
use crate::error::{Error, Result};
use crate::zone::Zone;
use app::model::{AccountId, AccountStatus, AccountSummary, AccountType, ApiError, Role};
use time::OffsetDateTime;

/// A stored value the code does not know: a bug or a hand edit, not user error.
pub(super) fn bad(column: &str) -> Error {
    tracing::error!(column, "unreadable value in the accounts table");
    Error::Api(ApiError::internal())
}

/// The account as lists and answers show it; `now` in the organisation's
/// `zone` decides `expired`. A stored role, status or type the code does not
/// know is a `500`.
pub(crate) fn summary(r: &AccountRow, now: OffsetDateTime, zone: &Zone) -> Result<AccountSummary> {
    Ok(AccountSummary {
        id: AccountId::from_uuid(r.id),
        role: Role::parse(&r.role).map_err(|_| bad("role"))?,
        status: AccountStatus::parse(&r.status).map_err(|_| bad("status"))?,
        account_type: AccountType::parse(&r.account_type).map_err(|_| bad("account_type"))?,
        username: r.username.clone(),
        first_name: r.first_name.clone(),
        last_name: r.last_name.clone(),
        email: r.email.clone(),
        expires_on: r.expires_on,
        expired: is_expired(r.expires_on, now, zone),
        invited: r.account_type == AccountType::Local.as_str() && !r.has_password,
        created_at: r.created_at,
        version: r.version,
    })
}
