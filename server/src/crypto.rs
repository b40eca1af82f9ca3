//! Password hashing (argon2id, on the bounded worker pool of [`pool`]) and
//! session tokens.

pub mod pool;

use pool::Admission;

use crate::error::{Error, Result};
use app::model::{text, Secret};
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

/// Associated data (argon2's "X", RFC 9106 §3.1) of every hash made since
/// passwords are normalised (issue #12). It shows in the PHC string as
/// `data=bmZrYw` and marks a hash of the NFKC form: only unmarked, older
/// hashes are also tried with the password exactly as typed.
const NFKC_MARK: &[u8] = b"nfkc";

fn argon2() -> Result<Argon2<'static>> {
    let hash_error = |e: argon2::Error| Error::Hash(e.to_string());
    let params = argon2::ParamsBuilder::new()
        .m_cost(ARGON2_MEMORY_KIB)
        .t_cost(ARGON2_PASSES)
        .p_cost(ARGON2_LANES)
        .data(argon2::AssociatedData::new(NFKC_MARK).map_err(hash_error)?)
        .build()
        .map_err(hash_error)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| Error::Hash(format!("OS random source: {e}")))?;
    Ok(buf)
}

/// argon2's output for `password` and `salt` into `out`, in the worker's
/// `memory` (a hash whose parameters want more than it holds gets its own).
fn fill(
    argon: &Argon2<'_>,
    params: &Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
    memory: &mut [Block],
) -> Result<()> {
    let hash_error = |e: argon2::Error| Error::Hash(e.to_string());
    let blocks = params.block_count();
    if blocks <= memory.len() {
        argon
            .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
            .map_err(hash_error)
    } else {
        argon
            .hash_password_into(password.as_bytes(), salt, out)
            .map_err(hash_error)
    }
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1,data=bmZrYw$<salt>$<hash>`).
fn hash_blocking(password: &str, memory: &mut [Block]) -> Result<String> {
    let phc_error = |e: argon2::password_hash::Error| Error::Hash(e.to_string());
    let salt_bytes = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(phc_error)?;
    let argon = argon2()?;
    let params = argon.params().clone();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    fill(&argon, &params, password, &salt_bytes, &mut out, memory)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(phc_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(phc_error)?),
    };
    Ok(phc.to_string())
}

/// Verifies with the algorithm, version and parameters (and associated
/// data) of the hash itself; the outputs are compared in constant time.
/// A stored hash whose algorithm, version or parameters cannot be used
/// matches nothing (as the argon2 crate's own verifier answers), and is
/// logged.
fn verify_blocking(hash: &PasswordHash<'_>, password: &str, memory: &mut [Block]) -> Result<bool> {
    let phc_error = |e: argon2::password_hash::Error| Error::Hash(e.to_string());
    let unusable = |why: String| {
        tracing::warn!(problem = %why, "a stored password hash cannot be used");
        Ok(false)
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return unusable("no salt or output".into());
    };
    let algorithm = match Algorithm::try_from(hash.algorithm) {
        Ok(a) => a,
        Err(e) => return unusable(e.to_string()),
    };
    let version = match hash.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(e) => return unusable(e.to_string()),
    };
    let params = match Params::try_from(hash) {
        Ok(p) => p,
        Err(e) => return unusable(e.to_string()),
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut salt_buf = [0u8; 64];
    let salt = match salt.decode_b64(&mut salt_buf) {
        Ok(s) => s,
        Err(e) => return unusable(e.to_string()),
    };
    let mut out = vec![0u8; expected.len()];
    fill(&argon, &params, password, salt, &mut out, memory)?;
    Ok(Output::new(&out).map_err(phc_error)? == expected)
}

/// A hash of a random password, verified against when the account does not
/// exist so that both answers take the same time.
fn dummy_hash(memory: &mut [Block]) -> Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let random = URL_SAFE_NO_PAD.encode(random_bytes::<24>()?);
    let hash = hash_blocking(&random, memory)?;
    Ok(DUMMY.get_or_init(|| hash))
}

/// Hashes `password` as NIST SP 800-63B §5.1.1.2 asks: normalised to NFKC
/// first ([`text::password`]), so every way of typing it verifies.
pub async fn hash_password(password: Secret) -> Result<String> {
    pool::global()
        .run(Admission::Wait, move |memory| {
            hash_blocking(&text::password(password.expose()), memory)
        })
        .await
}

/// How a typed password met a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes,
    /// Matched only as typed, not normalised: the hash predates password
    /// normalisation (issue #12). Rehash the normalised form now.
    Legacy,
}

impl Verified {
    pub fn matched(self) -> bool {
        self != Verified::No
    }
}

/// The NFKC form; then, for a hash made before normalisation (no
/// [`NFKC_MARK`]) and only when the forms differ, the password exactly as
/// typed. One argon2 run for nearly every sign-in, two at most.
fn verify_forms(hash: &str, password: &str, memory: &mut [Block]) -> Result<Verified> {
    let parsed = PasswordHash::new(hash).map_err(|e| Error::Hash(e.to_string()))?;
    let normalised = text::password(password);
    if verify_blocking(&parsed, &normalised, memory)? {
        return Ok(Verified::Yes);
    }
    let legacy = parsed.params.get("data").is_none();
    if legacy && normalised != password && verify_blocking(&parsed, password, memory)? {
        Ok(Verified::Legacy)
    } else {
        Ok(Verified::No)
    }
}

/// Verifies `password` against `hash`; with no hash it spends the same effort
/// on a dummy and answers [`Verified::No`].
pub async fn verify_password(hash: Option<String>, password: Secret) -> Result<Verified> {
    pool::global()
        .run(
            Admission::Within(pool::SIGN_IN_WAIT),
            move |memory| match hash {
                Some(h) => verify_forms(&h, password.expose(), memory),
                None => {
                    let dummy = dummy_hash(memory)?;
                    let _ = verify_forms(dummy, password.expose(), memory)?;
                    Ok(Verified::No)
                }
            },
        )
        .await
}

/// Whether `password` matches any of `hashes` (the password history), in
/// either form [`verify_password`] accepts.
pub async fn matches_any(hashes: Vec<String>, password: Secret) -> Result<bool> {
    pool::global()
        .run(Admission::Wait, move |memory| {
            for h in &hashes {
                if verify_forms(h, password.expose(), memory)?.matched() {
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await
}

/// Starts the hashing workers and warms the dummy hash, so the first
/// unknown-user login is not slower.
pub async fn prepare() -> Result<()> {
    pool::global()
        .run(Admission::Wait, |memory| dummy_hash(memory).map(|_| ()))
        .await
}

/// A new session token (256 bits from the OS CSPRNG) and the hash we store.
pub fn new_session_token() -> Result<(Secret, [u8; 32])> {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    let hash = token_hash(&token);
    Ok((token.into(), hash))
}

pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// `ROLLCALL_SECRET_KEY`: 32 bytes, standard base64. Encrypts the secrets
/// Rollcall must read back (a directory look-up password) with
/// XChaCha20-Poly1305; hashes cover everything else.
#[derive(Clone)]
pub struct SecretKey(chacha20poly1305::Key);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey({})", app::model::secret::REDACTED)
    }
}

/// The first byte of a sealed secret: the format, so a later key rotation
/// can tell old from new.
const SEALED_V1: u8 = 1;
const NONCE_LEN: usize = 24;

impl SecretKey {
    /// 32 bytes written as base64 (44 characters, `openssl rand -base64 32`)
    /// or as 64 hexadecimal digits (what Secrets Manager's generator can
    /// make: deploy/template.yaml, AppSecret).
    ///
    /// Errors name the variable and what a valid value looks like; never
    /// the value itself.
    pub fn parse(text: &str) -> std::result::Result<SecretKey, String> {
        let text = text.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut bytes = [0u8; 32];
            for (i, byte) in bytes.iter_mut().enumerate() {
                *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                    .map_err(|_| "ROLLCALL_SECRET_KEY: not hexadecimal".to_owned())?;
            }
            return Ok(SecretKey(*chacha20poly1305::Key::from_slice(&bytes)));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| {
                "ROLLCALL_SECRET_KEY is not base64: generate one with `openssl rand -base64 32`"
                    .to_owned()
            })?;
        if bytes.len() != 32 {
            return Err(format!(
                "ROLLCALL_SECRET_KEY must be 32 bytes (44 base64 characters), not {} bytes: generate one with `openssl rand -base64 32`",
                bytes.len()
            ));
        }
        Ok(SecretKey(*chacha20poly1305::Key::from_slice(&bytes)))
    }

    /// `1 || nonce (24) || ciphertext+tag`. `context` (the tenant's id) is
    /// authenticated with it, so a sealed value copied to another row does
    /// not open.
    pub fn seal(&self, plaintext: &str, context: &[u8]) -> Result<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&self.0);
        let nonce = chacha20poly1305::XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: context,
                },
            )
            .map_err(|_| Error::Crypto("sealing a secret failed"))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(SEALED_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// `None` when the value was sealed with another key or context, or is
    /// damaged.
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Secret> {
        use chacha20poly1305::aead::{Aead, KeyInit, Payload};
        let (&version, rest) = sealed.split_first()?;
        if version != SEALED_V1 || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let cipher = chacha20poly1305::XChaCha20Poly1305::new(&self.0);
        let plain = cipher
            .decrypt(
                chacha20poly1305::XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .ok()?;
        String::from_utf8(plain).ok().map(Secret::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher as _;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash_password("s3cret!pw".into()).await.unwrap();
        let b = hash_password("s3cret!pw".into()).await.unwrap();
        assert_ne!(a, b, "salts must differ");
        assert!(
            a.starts_with("$argon2id$v=19$m=19456,t=2,p=1,data=bmZrYw$"),
            "{a}"
        );
        let verify = |h: Option<String>, p: &str| verify_password(h, p.into());
        assert_eq!(
            verify(Some(a.clone()), "s3cret!pw").await.unwrap(),
            Verified::Yes
        );
        assert_eq!(verify(Some(a), "wrong").await.unwrap(), Verified::No);
        assert_eq!(verify(None, "s3cret!pw").await.unwrap(), Verified::No);
    }

    #[tokio::test]
    async fn passwords_are_normalised_and_old_hashes_still_verify() {
        let composed = "Caf\u{e9}-123!";
        let decomposed = "Cafe\u{301}-123!";
        // Set with one spelling, typed with the other: the same password.
        let h = hash_password(composed.into()).await.unwrap();
        assert_eq!(
            verify_password(Some(h.clone()), decomposed.into())
                .await
                .unwrap(),
            Verified::Yes
        );
        let h = hash_password(decomposed.into()).await.unwrap();
        assert_eq!(
            verify_password(Some(h), composed.into()).await.unwrap(),
            Verified::Yes
        );
        // A hash of the raw, unnormalised form made before normalisation
        // (no mark) verifies when typed the same way, and says it needs a
        // rehash; a marked hash is never tried with the raw form.
        let legacy = {
            let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
            Argon2::default()
                .hash_password(decomposed.as_bytes(), &salt)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            verify_password(Some(legacy.clone()), decomposed.into())
                .await
                .unwrap(),
            Verified::Legacy
        );
        assert!(matches_any(vec![legacy], decomposed.into()).await.unwrap());
        let marked_raw = hash_blocking(
            decomposed,
            &mut vec![Block::default(); ARGON2_MEMORY_KIB as usize],
        )
        .unwrap();
        assert_eq!(
            verify_password(Some(marked_raw), decomposed.into())
                .await
                .unwrap(),
            Verified::No
        );
    }

    /// Hashes made in the workers' reused memory are standard PHC strings:
    /// the argon2 crate's own verifier accepts them, and ours accepts its.
    #[tokio::test]
    async fn pooled_hashes_are_standard_argon2id() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_password("Pool-pass 1!".into()).await.unwrap();
        assert!(
            ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1,data=bmZrYw$"),
            "{ours}"
        );
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon2()
            .unwrap()
            .verify_password(b"Pool-pass 1!", &parsed)
            .is_ok());
        assert!(argon2()
            .unwrap()
            .verify_password(b"Pool-pass 2!", &parsed)
            .is_err());
        let theirs = argon2()
            .unwrap()
            .hash_password(
                b"Their-pass 1!",
                &SaltString::encode_b64(&[9u8; 16]).unwrap(),
            )
            .unwrap()
            .to_string();
        assert_eq!(
            verify_password(Some(theirs.clone()), "Their-pass 1!".into())
                .await
                .unwrap(),
            Verified::Yes
        );
        assert_eq!(
            verify_password(Some(theirs), "Their-pass 2!".into())
                .await
                .unwrap(),
            Verified::No
        );
        // The same memory, used twice, gives the same answer.
        let mut memory = vec![Block::default(); ARGON2_MEMORY_KIB as usize];
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(verify_blocking(&parsed, "Pool-pass 1!", &mut memory).unwrap());
        assert!(verify_blocking(&parsed, "Pool-pass 1!", &mut memory).unwrap());
    }

    #[test]
    fn tokens_are_long_random_and_hashed() {
        let (t1, h1) = new_session_token().unwrap();
        let (t2, _) = new_session_token().unwrap();
        assert_ne!(t1, t2);
        assert_eq!(URL_SAFE_NO_PAD.decode(t1.expose()).unwrap().len(), 32);
        assert_eq!(h1, token_hash(t1.expose()));
    }

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_context() {
        let key = SecretKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        let other = SecretKey::parse("ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=").unwrap();
        let sealed = key.seal("LookupPass1", b"tenant-a").unwrap();
        assert_eq!(sealed[0], SEALED_V1);
        assert!(!sealed.windows(11).any(|w| w == b"LookupPass1"));
        assert_eq!(
            key.open(&sealed, b"tenant-a").as_ref().map(Secret::expose),
            Some("LookupPass1")
        );
        assert_eq!(key.open(&sealed, b"tenant-b"), None, "another tenant's row");
        assert_eq!(other.open(&sealed, b"tenant-a"), None, "another key");
        let mut damaged = sealed.clone();
        if let Some(last) = damaged.last_mut() {
            *last ^= 1;
        }
        assert_eq!(key.open(&damaged, b"tenant-a"), None);
        assert_ne!(
            sealed,
            key.seal("LookupPass1", b"tenant-a").unwrap(),
            "fresh nonce"
        );
        assert_eq!(format!("{key:?}"), "SecretKey([redacted])");
    }

    #[test]
    fn a_key_may_be_written_in_hexadecimal() {
        let base64 = SecretKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        let hex: String = (0u8..32).map(|b| format!("{b:02x}")).collect();
        let from_hex = SecretKey::parse(&format!(" {hex}\n")).unwrap();
        let sealed = base64.seal("LookupPass1", b"t").unwrap();
        assert_eq!(
            from_hex.open(&sealed, b"t").as_ref().map(Secret::expose),
            Some("LookupPass1")
        );
        // 63 digits are neither form.
        assert!(SecretKey::parse(&hex[1..]).is_err());
    }

    #[test]
    fn a_bad_secret_key_says_how_to_make_one() {
        assert!(SecretKey::parse("not base64!")
            .unwrap_err()
            .contains("openssl rand -base64 32"));
        let short = SecretKey::parse("AAAA").unwrap_err();
        assert!(
            short.contains("32 bytes") && short.contains("not 3 bytes"),
            "{short}"
        );
        assert!(!short.contains("AAAA"), "never echoes the key");
    }
}
