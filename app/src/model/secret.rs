//! Secret text: passwords, session and link tokens, API tokens, look-up
//! passwords. A [`Secret`] travels in JSON as the plain string it is, but
//! `{:?}` and `{}` print `[redacted]`, so a stray log line, a panic message
//! or a derived `Debug` of a request that carries one shows no secret
//! (OWASP ASVS 5.0 V16.2.5: no credentials in logs).

use serde::{Deserialize, Serialize};
use std::fmt;

/// What `Debug` and `Display` print instead of the secret.
pub const REDACTED: &str = "[redacted]";

/// A secret string; read it with [`Secret::expose`], where it is used.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The secret itself: for hashing, comparing, binding or sending once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret as an owned string (for an API that takes one).
    pub fn into_exposed(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Secret(text)
    }
}

impl<T: AsRef<str> + ?Sized> From<&T> for Secret {
    fn from(text: &T) -> Self {
        Secret(text.as_ref().to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_never_shows_the_secret_and_json_carries_it() {
        let s = Secret::from("hunter2 wins");
        assert_eq!(
            format!("{s:?} {s} {s:#?} {:?}", Some(&s)),
            "[redacted] [redacted] [redacted] Some([redacted])"
        );
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hunter2 wins\"");
        let back: Secret = serde_json::from_str("\"hunter2 wins\"").unwrap();
        assert_eq!(back.expose(), "hunter2 wins");
    }
}
