//! Bulk import of accounts from CSV: the file's shape, and the preview.

use super::accounts::{AccountForm, CreateAccountRequest};
use super::error::ApiError;
use super::values::AccountType;
use serde::{Deserialize, Serialize};

/// At most this many accounts per file: every password is hashed with
/// argon2id, and the staging steps must each finish well inside a request.
pub const IMPORT_MAX_ROWS: usize = 1_000;
/// Rows staged per request (the progress bar moves this much at a time).
pub const IMPORT_CHUNK: usize = 50;

/// The columns a file may have, any order, names in any case. The first four
/// are required.
pub const IMPORT_COLUMNS: [&str; 13] = [
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "status",
    "account_type",
    "clients",
    "case_access",
    "expires_on",
    "must_change_password",
    "rotate_password",
    "password",
];
const REQUIRED: usize = 4;

/// One data row of the file, as an account request, with its line number
/// and its clients by name (resolved by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLine {
    pub line: u32,
    pub request: CreateAccountRequest,
    pub client_names: Vec<String>,
    /// Problems found while reading the row (e.g. `yes`/`no` unreadable).
    pub errors: Vec<String>,
}

fn flag(value: &str, default: bool) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(default),
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        other => Err(format!("“{other}” is not yes or no.")),
    }
}

/// Reads the file: a header row naming the columns, then one account per
/// row. `Err` is about the whole file (no header, unknown or missing
/// columns, too many rows).
pub fn read_import(text: &str) -> Result<Vec<ImportLine>, ApiError> {
    let file_error = |m: String| ApiError::validation("file", m);
    let records = super::csv::parse(text).map_err(file_error)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(file_error(
            "The file is empty. Export the accounts list to see the expected columns.".into(),
        ));
    };
    let mut index = [None; IMPORT_COLUMNS.len()];
    for (i, name) in header.iter().enumerate() {
        let name = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        let Some(col) = IMPORT_COLUMNS.iter().position(|c| *c == name) else {
            return Err(file_error(format!(
                "Unknown column “{name}”. The columns are: {}.",
                IMPORT_COLUMNS.join(", ")
            )));
        };
        if index[col].replace(i).is_some() {
            return Err(file_error(format!("The column “{name}” appears twice.")));
        }
    }
    let missing: Vec<&str> = IMPORT_COLUMNS[..REQUIRED]
        .iter()
        .zip(index)
        .filter(|(_, i)| i.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(file_error(format!(
            "The header row lacks the column{} {}.",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", ")
        )));
    }
    if rows.is_empty() {
        return Err(file_error("The file has a header but no accounts.".into()));
    }
    if rows.len() > IMPORT_MAX_ROWS {
        return Err(file_error(format!(
            "The file has {} accounts; import at most {IMPORT_MAX_ROWS} at a time.",
            rows.len()
        )));
    }
    Ok(rows
        .iter()
        .enumerate()
        .map(|(n, row)| {
            let get = |col: usize| {
                index[col]
                    .and_then(|i| row.get(i))
                    .map(|v| v.trim().to_owned())
                    .unwrap_or_default()
            };
            let mut errors = Vec::new();
            if row.len() != header.len() {
                errors.push(format!(
                    "Has {} values where the header has {} columns.",
                    row.len(),
                    header.len()
                ));
            }
            let mut read_flag = |col: usize, default: bool| {
                flag(&get(col), default).unwrap_or_else(|m| {
                    errors.push(format!("{}: {m}", IMPORT_COLUMNS[col]));
                    default
                })
            };
            let must_change = read_flag(10, true);
            let rotate = read_flag(11, false);
            let or = |v: String, default: &str| {
                if v.is_empty() {
                    default.to_owned()
                } else {
                    v.to_ascii_lowercase()
                }
            };
            let password = index[12]
                .and_then(|i| row.get(i))
                .cloned()
                .unwrap_or_default();
            ImportLine {
                // Line 1 is the header.
                line: u32::try_from(n + 2).unwrap_or(u32::MAX),
                client_names: get(7)
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                request: CreateAccountRequest {
                    username: get(0),
                    account_type: or(get(6), "local"),
                    form: AccountForm {
                        first_name: get(1),
                        last_name: get(2),
                        email: get(3),
                        role: or(get(4), "user"),
                        status: or(get(5), "active"),
                        clients: Vec::new(),
                        case_access: or(get(8), "standard").replace([' ', '-'], "_"),
                        must_change_password: must_change,
                        rotate_password: rotate,
                        expires_on: get(9),
                        groups: Vec::new(),
                    },
                    invite: password.is_empty()
                        && AccountType::parse(&or(get(6), "local")) == Ok(AccountType::Local),
                    password_confirm: password.clone(),
                    password,
                },
                errors,
            }
        })
        .collect())
}

/// One row as the preview shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: u32,
    pub username: String,
    pub name: String,
    pub email: String,
    pub role: String,
    /// Empty when the row will be imported.
    pub errors: Vec<String>,
    /// Something to know that is not an error (no password given).
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub rows: Vec<PreviewRow>,
    pub valid: u32,
    pub invalid: u32,
}

/// What one staging step answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedChunk {
    pub batch: uuid::Uuid,
    /// Rows staged in this batch so far.
    pub staged: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportResult {
    pub created: u32,
}

/// One staging step: a slice of the file with its header, and the file line
/// its first row was on (so errors name the line of the whole file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportChunk {
    pub batch: Option<uuid::Uuid>,
    pub first_line: u32,
    pub csv: String,
}

/// Splits a file into chunks of rows, each a CSV text with the header (the
/// browser stages them one request at a time).
pub fn chunks(text: &str, size: usize) -> Result<Vec<ImportChunk>, ApiError> {
    let records = super::csv::parse(text).map_err(|m| ApiError::validation("file", m))?;
    let Some((header, rows)) = records.split_first() else {
        return Ok(Vec::new());
    };
    let size = size.max(1);
    Ok(rows
        .chunks(size)
        .enumerate()
        .map(|(c, chunk)| {
            let mut csv = super::csv::line_raw(header);
            for row in chunk {
                csv.push_str(&super::csv::line_raw(row));
            }
            ImportChunk {
                batch: None,
                first_line: u32::try_from(2 + c * size).unwrap_or(u32::MAX),
                csv,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_with_defaults_and_any_column_order() {
        let text = "Email,Username,First Name,last_name,clients,must_change_password\r\n\
                    a@x.org,alice,Alice,Able,Acme; Globex ,\r\n\
                    b@x.org,bob,Bob,Baker,,maybe\r\n";
        let lines = read_import(text).unwrap();
        assert_eq!(lines.len(), 2);
        let a = &lines[0];
        assert_eq!(a.line, 2);
        assert_eq!(a.request.username, "alice");
        assert_eq!(a.request.form.role, "user");
        assert_eq!(a.request.account_type, "local");
        assert!(a.request.form.must_change_password);
        assert_eq!(a.client_names, ["Acme", "Globex"]);
        assert!(a.errors.is_empty());
        assert_eq!(
            lines[1].errors,
            ["must_change_password: “maybe” is not yes or no."]
        );
    }

    #[test]
    fn whole_file_problems_are_named() {
        let err = |t: &str| read_import(t).unwrap_err().message;
        assert!(err("").contains("empty"));
        assert!(err("username,first_name,last_name\n").contains("lacks the column email"));
        assert!(err("username,first_name,last_name,email,shoe_size\nx")
            .contains("Unknown column “shoe_size”"));
        assert!(err("username,first_name,last_name,email\n").contains("no accounts"));
        let big = format!(
            "username,first_name,last_name,email\n{}",
            "a,b,c,d\n".repeat(1001)
        );
        assert!(err(&big).contains("at most 1000"));
    }

    #[test]
    fn chunks_keep_the_header() {
        let text =
            "username,first_name,last_name,email\na,A,A,a@x.org\nb,B,B,b@x.org\nc,C,C,c@x.org\n";
        let parts = chunks(text, 2).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].first_line, 4);
        assert!(parts[1]
            .csv
            .starts_with("username,first_name,last_name,email\r\nc,"));
        assert_eq!(read_import(&parts[1].csv).unwrap()[0].request.username, "c");
    }
}
