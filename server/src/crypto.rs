//! Password hashing (argon2id, off the async runtime) and session tokens.

use crate::error::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

fn argon2() -> Result<Argon2<'static>> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .map_err(|e| Error::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| Error::Hash(format!("OS random source: {e}")))?;
    Ok(buf)
}

fn hash_blocking(password: &str) -> Result<String> {
    let salt =
        SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| Error::Hash(e.to_string()))?;
    Ok(argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Hash(e.to_string()))?
        .to_string())
}

fn verify_blocking(hash: &str, password: &str) -> Result<bool> {
    let parsed = PasswordHash::new(hash).map_err(|e| Error::Hash(e.to_string()))?;
    Ok(argon2()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A hash of a random password, verified against when the account does not
/// exist so that both answers take the same time.
fn dummy_hash() -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let random = URL_SAFE_NO_PAD.encode(random_bytes::<24>()?);
    let hash = hash_blocking(&random)?;
    Ok(DUMMY.get_or_init(|| hash))
}

pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
}

/// Verifies `password` against `hash`; with no hash it spends the same effort
/// on a dummy and answers false.
pub async fn verify_password(hash: Option<String>, password: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_blocking(&h, &password),
        None => {
            let _ = verify_blocking(dummy_hash()?, &password)?;
            Ok(false)
        }
    })
    .await?
}

/// Whether `password` matches any of `hashes` (the password history).
pub async fn matches_any(hashes: Vec<String>, password: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        for h in &hashes {
            if verify_blocking(h, &password)? {
                return Ok(true);
            }
        }
        Ok(false)
    })
    .await?
}

/// Warms the dummy hash so the first unknown-user login is not slower.
pub async fn prepare() -> Result<()> {
    tokio::task::spawn_blocking(|| dummy_hash().map(|_| ())).await?
}

/// A new session token (256 bits from the OS CSPRNG) and the hash we store.
pub fn new_session_token() -> Result<(String, [u8; 32])> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = token_hash(&token);
    Ok((token, hash))
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash_password("s3cret!pw".into()).await.unwrap();
        let b = hash_password("s3cret!pw".into()).await.unwrap();
        assert_ne!(a, b, "salts must differ");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(Some(a.clone()), "s3cret!pw".into())
            .await
            .unwrap());
        assert!(!verify_password(Some(a), "wrong".into()).await.unwrap());
        assert!(!verify_password(None, "s3cret!pw".into()).await.unwrap());
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (t1, h1) = new_session_token().unwrap();
        let (t2, _) = new_session_token().unwrap();
        assert_ne!(t1, t2);
        assert_eq!(URL_SAFE_NO_PAD.decode(&t1).unwrap().len(), 32);
        assert_eq!(h1, token_hash(&t1));
    }
}
