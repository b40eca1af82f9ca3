//! Setting a local account's password: the one path every way of setting
//! one takes (an administrator's edit or reset, an invitation or reset
//! link, a person's own change), and the hashing of a new account's first
//! password.

use super::throttle;
use crate::crypto;
use crate::db::{self, accounts::AccountRow};
use crate::error::{first_error, Result};
use app::model::{ApiError, NewPassword, PasswordOwner, PasswordPolicy, Secret};
use sqlx::PgConnection;
use time::OffsetDateTime;

/// Sets `account`'s password to `new`, in `conn`'s transaction:
/// [`check`] with the account's own username and email as the owner, then
/// [`store`]. Ending sessions and the audit event stay with the caller:
/// each path ends different ones and records its own action.
pub async fn set_password(
    conn: &mut PgConnection,
    account: &AccountRow,
    policy: &PasswordPolicy,
    new: &NewPassword,
    must_change_password: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let owner = PasswordOwner {
        username: &account.username,
        email: &account.email,
    };
    let password = check(conn, account.id, policy, new, owner).await?;
    store(conn, account, password, must_change_password, now).await
}

/// Whether `new` may become the password of the account `account_id`
/// owned by `owner`: it meets `policy` and matches its confirmation
/// ([`NewPassword::check`]; the first error is answered, `400 validation`),
/// and it is none of the account's last `policy.history_count` passwords
/// (`400 validation` on `password`). Answers the password.
pub async fn check<'a>(
    conn: &mut PgConnection,
    account_id: uuid::Uuid,
    policy: &PasswordPolicy,
    new: &'a NewPassword,
    owner: PasswordOwner<'_>,
) -> Result<&'a Secret> {
    let password = new.validate(policy, owner).map_err(first_error)?;
    check_history(conn, account_id, policy, password).await?;
    Ok(password)
}

/// Stores a [`check`]ed `password` as `account`'s: hashed (argon2id,
/// [`crypto::hash_password`]) and saved with `must_change_password`, which
/// closes the account's open links and adds it to the history
/// ([`db::accounts::set_password`]); the username's failed sign-ins are
/// forgotten, as the password they guessed at is gone.
pub async fn store(
    conn: &mut PgConnection,
    account: &AccountRow,
    password: &Secret,
    must_change_password: bool,
    now: OffsetDateTime,
) -> Result<()> {
    let hash = crypto::hash_password(password.clone()).await?;
    db::accounts::set_password(
        conn,
        account.tenant_id,
        account.id,
        &hash,
        must_change_password,
        now,
    )
    .await?;
    throttle::forget_username(conn, account.tenant_id, &account.username).await
}

/// The hash a new account is created with (its password was checked with
/// the request, [`app::model::CreateAccountRequest::validate`]); `None` for
/// an account without one (directory, invited). A CSV import hashes its
/// rows' passwords in parallel, before its transaction (`import.rs`).
pub async fn first_password_hash(password: Option<&Secret>) -> Result<Option<String>> {
    match password {
        Some(password) => Ok(Some(crypto::hash_password(password.clone()).await?)),
        None => Ok(None),
    }
}

/// Refuses a password that is one of the account's last `history_count`.
async fn check_history(
    conn: &mut PgConnection,
    account_id: uuid::Uuid,
    policy: &PasswordPolicy,
    password: &Secret,
) -> Result<()> {
    if policy.history_count == 0 {
        return Ok(());
    }
    let recent =
        db::accounts::recent_passwords(conn, account_id, i64::from(policy.history_count)).await?;
    if crypto::matches_any(recent, password.clone()).await? {
        return Err(ApiError::validation(
            "password",
            format!(
                "This password was used recently: choose one that is not among the last {} passwords of this account.",
                policy.history_count
            ),
        )
        .into());
    }
    Ok(())
}
