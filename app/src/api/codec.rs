//! How request bodies travel: JSON, as with `server_fn::codec::Json`, except
//! that a body the server cannot read is answered with the JSON path of the
//! value at fault (`400 bad_request`, `"field": "request.username"`), so an
//! API client learns which value to fix (#14). `serde_path_to_error` tracks
//! the path; serde's own errors name only a line and column.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use server_fn::codec::Post;
use server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use std::fmt;

/// JSON request bodies whose decoding errors name the field.
pub struct FieldJsonEncoding;

/// `POST` with a JSON body: the `input` of every server function.
pub type Json = Post<FieldJsonEncoding>;

impl ContentType for FieldJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for FieldJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for FieldJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for FieldJsonEncoding {
    type Error = DecodeFailure;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        if let Some(field) = nul_path(&bytes) {
            return Err(DecodeFailure {
                field: Some(field),
                message:
                    "Text cannot contain the NUL character (U+0000). Remove it and send again."
                        .to_owned(),
            });
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(DecodeFailure::from)?;
        de.end().map_err(|e| DecodeFailure {
            field: None,
            message: e.to_string(),
        })?;
        Ok(value)
    }
}

/// The JSON path of the first string (or object key) in `body` holding
/// U+0000, which no text of Rollcall may contain (PostgreSQL cannot store it
/// in `text`, and no name or value needs it). JSON can only carry it as the
/// escape `\u0000` (RFC 8259 §7), so bodies without those six bytes are
/// not parsed twice.
fn nul_path(body: &[u8]) -> Option<String> {
    const ESCAPE: &[u8] = b"\\u0000";
    if !body.windows(ESCAPE.len()).any(|w| w == ESCAPE) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    fn walk(value: &serde_json::Value, path: &mut String) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(v, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            serde_json::Value::Object(map) => map.iter().any(|(k, v)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = k.contains('\0') || walk(v, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(&value, &mut path).then(|| {
        let shown: String = path
            .replace('\0', "\\u0000")
            .chars()
            .take(FIELD_MAX)
            .collect();
        shown
    })
}

/// Why a body could not be read, and where. `server_fn` carries it to
/// [`crate::model::ApiError`] as its `Display` text, so that text is this
/// struct as JSON; [`DecodeFailure::parse`] reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodeFailure {
    /// Dotted JSON path (`request.columns[2].name`); `None` when the body
    /// itself is at fault (not JSON, not an object).
    pub field: Option<String>,
    /// What was wrong, in serde's words.
    pub message: String,
}

/// Longest path reported: a key may be anything the client sent.
const FIELD_MAX: usize = 200;

impl From<serde_path_to_error::Error<serde_json::Error>> for DecodeFailure {
    fn from(e: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let message = e.inner().to_string();
        // `?` stands for where the reader lost track (a body cut short).
        let mut segments: Vec<String> = e
            .path()
            .iter()
            .filter(|s| !matches!(s, serde_path_to_error::Segment::Unknown))
            .map(|s| s.to_string())
            .collect();
        // serde reports a missing field at its parent; name the field itself.
        for prefix in ["missing field `", "unknown field `"] {
            if let Some(rest) = message.strip_prefix(prefix) {
                if let Some((name, _)) = rest.split_once('`') {
                    segments.push(name.to_owned());
                }
            }
        }
        let mut field = String::new();
        for segment in &segments {
            if !field.is_empty() && !segment.starts_with('[') {
                field.push('.');
            }
            field.push_str(segment);
        }
        let field: String = field.chars().take(FIELD_MAX).collect();
        let message = if field.is_empty() {
            // At the root serde names our argument struct: say it plainly.
            match message.find(", expected struct ") {
                Some(at) => format!("{}, expected a JSON object", &message[..at]),
                None => message,
            }
        } else {
            message
        };
        Self {
            field: (!field.is_empty()).then_some(field),
            message,
        }
    }
}

impl DecodeFailure {
    /// Reads back what [`fmt::Display`] wrote; any other text (another
    /// reader's error) becomes a failure without a field.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_else(|_| Self {
            field: None,
            message: text.to_owned(),
        })
    }
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    struct Inner {
        username: String,
        tags: Vec<u8>,
        #[serde(default)]
        limits: std::collections::BTreeMap<String, u8>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    struct Args {
        request: Inner,
    }

    fn fail(body: &str) -> DecodeFailure {
        let bytes = Bytes::copy_from_slice(body.as_bytes());
        let err = <FieldJsonEncoding as Decodes<Args>>::decode(bytes).unwrap_err();
        // What the server sends is what the error mapping reads back.
        assert_eq!(DecodeFailure::parse(&err.to_string()), err);
        err
    }

    #[test]
    fn names_the_field_of_a_wrong_type() {
        let f = fail(r#"{"request": {"username": 5, "tags": []}}"#);
        assert_eq!(f.field.as_deref(), Some("request.username"));
        assert!(f.message.starts_with("invalid type: integer `5`"), "{f:?}");
    }

    #[test]
    fn names_a_missing_field_itself() {
        assert_eq!(fail("{}").field.as_deref(), Some("request"));
        let f = fail(r#"{"request": {"tags": []}}"#);
        assert_eq!(f.field.as_deref(), Some("request.username"));
    }

    #[test]
    fn indexes_array_elements() {
        let f = fail(r#"{"request": {"username": "a", "tags": [1, 300]}}"#);
        assert_eq!(f.field.as_deref(), Some("request.tags[1]"));
    }

    #[test]
    fn a_body_that_is_not_an_object_has_no_field() {
        let f = fail("5");
        assert_eq!(f.field, None);
        assert_eq!(
            f.message,
            "invalid type: integer `5`, expected a JSON object"
        );
        assert_eq!(fail("{").field, None);
        assert_eq!(
            fail(r#"{"request": {"username": "a", "tags": []}} x"#).field,
            None
        );
    }

    #[test]
    fn text_with_nul_is_refused_naming_the_value() {
        let f = fail(r#"{"request": {"username": "a\u0000b", "tags": []}}"#);
        assert_eq!(f.field.as_deref(), Some("request.username"));
        assert!(f.message.contains("U+0000"), "{f:?}");
        let f = fail(r#"{"request": {"username": "a", "tags": [], "x": ["", "\u0000"]}}"#);
        assert_eq!(f.field.as_deref(), Some("request.x[1]"));
        // An escaped backslash before `u0000` is not a NUL.
        let ok = Bytes::from_static(br#"{"request": {"username": "\\u0000", "tags": []}}"#);
        assert!(<FieldJsonEncoding as Decodes<Args>>::decode(ok).is_ok());
    }

    #[test]
    fn a_long_key_is_cut() {
        let key = "k".repeat(1000);
        let body = format!(
            r#"{{"request": {{"username": "a", "tags": [], "limits": {{"{key}": 300}}}}}}"#
        );
        let f = fail(&body);
        assert!(f.field.unwrap().chars().count() <= FIELD_MAX);
    }

    #[test]
    fn other_text_parses_as_a_message() {
        let f = DecodeFailure::parse("not ours");
        assert_eq!(f.field, None);
        assert_eq!(f.message, "not ours");
    }

    #[test]
    fn encodes_what_it_decodes() {
        let bytes =
            <FieldJsonEncoding as Encodes<_>>::encode(&serde_json::json!({"a": 1})).unwrap();
        let back: serde_json::Value = <FieldJsonEncoding as Decodes<_>>::decode(bytes).unwrap();
        assert_eq!(back, serde_json::json!({"a": 1}));
    }
}
