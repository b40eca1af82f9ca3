//! Bulk import of accounts from CSV: the file's shape, and the preview.

use super::accounts::{AccountForm, CreateAccountRequest};
use super::error::ApiError;
use super::password::NewPassword;
use super::values::AccountType;
use serde::{Deserialize, Serialize};

/// At most this many accounts per file: every password is hashed with
/// argon2id, and the staging steps must each finish well inside a request.
pub const IMPORT_MAX_ROWS: usize = 1_000;
/// Rows staged per request (the progress bar moves this much at a time).
pub const IMPORT_CHUNK: usize = 50;

/// The columns a file may have, any order, names in any case. The first four
/// are required. Every column the accounts export writes is here or in
/// [`IGNORED_COLUMNS`], so an exported file imports unchanged.
pub const IMPORT_COLUMNS: [&str; 14] = [
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
    "groups",
];
const REQUIRED: usize = 4;

/// Columns the export writes that Rollcall sets itself: read, ignored, and
/// said so in the preview.
pub const IGNORED_COLUMNS: [(&str, &str); 1] = [(
    "created_at",
    "The column created_at is ignored: an account's creation time is when it is imported.",
)];

/// The file the import page offers as a template: the header and one
/// example row (its client names must exist in the tenant to import).
pub fn template() -> String {
    let mut out = super::csv::line(&IMPORT_COLUMNS);
    out.push_str(&super::csv::line(&[
        "jdoe",
        "Jane",
        "Doe",
        "jane.doe@example.org",
        "user",
        "active",
        "local",
        "Acme;Globex",
        "standard",
        "",
        "yes",
        "no",
        "",
        "Editor",
    ]));
    out
}

/// Splits a `clients` or `groups` cell: names separated by `;`, a `;` inside
/// a name written `\;` and a backslash `\\` (any other `\` is kept).
pub fn split_names(cell: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut name = String::new();
    let mut chars = cell.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some(';' | '\\')) => {
                if let Some(next) = chars.next() {
                    name.push(next);
                }
            }
            ';' => names.push(std::mem::take(&mut name)),
            _ => name.push(c),
        }
    }
    names.push(name);
    names
        .into_iter()
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

/// The inverse of [`split_names`]: `split_names(&join_names(v)) == v` for
/// names that are trimmed and not empty.
pub fn join_names<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| n.as_ref().replace('\\', "\\\\").replace(';', "\\;"))
        .collect::<Vec<_>>()
        .join(";")
}

/// One data row of the file, as an account request, with the line it starts
/// on and its clients and groups by name (resolved by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportLine {
    pub line: u32,
    pub request: CreateAccountRequest,
    pub client_names: Vec<String>,
    pub group_names: Vec<String>,
    /// Problems found while reading the row (e.g. `yes`/`no` unreadable).
    pub errors: Vec<String>,
    /// What the row's values became, when not as written.
    pub notes: Vec<String>,
}

/// A file as read: its rows, and what to know about the whole file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportFile {
    pub lines: Vec<ImportLine>,
    pub notices: Vec<String>,
}

fn flag(value: &str, default: bool) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" => Ok(default),
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" => Ok(false),
        other => Err(format!("“{other}” is not yes or no.")),
    }
}

fn column_key(name: &str) -> String {
    let key = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    // `type` is what people write for the account type.
    if key == "type" {
        "account_type".to_owned()
    } else {
        key
    }
}

/// `local`, or `directory` for any of the ways people write Active
/// Directory (`ad`, `AD`, `Active Directory`, `directory`).
fn account_type_value(cell: &str) -> String {
    match cell
        .trim()
        .to_ascii_lowercase()
        .replace(['_', '-'], " ")
        .as_str()
    {
        "ad" | "active directory" | "directory" => AccountType::Directory.as_str().to_owned(),
        "" => AccountType::Local.as_str().to_owned(),
        other => other.to_owned(),
    }
}

/// Reads the file: a header row naming the columns, then one account per
/// row. Columns are separated by commas, or by semicolons or tabs when the
/// header is ([`super::csv::detect_delimiter`]). Cells defused by the export
/// are restored. `Err` is about the whole file (no header, unknown or
/// missing columns, too many rows).
pub fn read_import(text: &str) -> Result<ImportFile, ApiError> {
    let file_error = |m: String| ApiError::validation("file", m);
    let delimiter = super::csv::detect_delimiter(text);
    let records = super::csv::parse(text, delimiter).map_err(file_error)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(file_error(
            "The file is empty. Export the accounts list to see the expected columns.".into(),
        ));
    };
    let mut index = [None; IMPORT_COLUMNS.len()];
    let mut notices = Vec::new();
    for (i, name) in header.fields.iter().enumerate() {
        let name = column_key(name);
        if let Some((_, notice)) = IGNORED_COLUMNS.iter().find(|(c, _)| *c == name) {
            notices.push((*notice).to_owned());
            continue;
        }
        let Some(col) = IMPORT_COLUMNS.iter().position(|c| *c == name) else {
            if name.contains([';', '\t']) {
                return Err(file_error(format!(
                    "The header row (line {}) mixes separators: “{name}” holds several column names. Separate all the columns with commas, or all with semicolons.",
                    header.line
                )));
            }
            return Err(file_error(format!(
                "Unknown column “{name}” on line {}. The columns are: {}.",
                header.line,
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
    if delimiter != ',' {
        let name = if delimiter == ';' {
            "semicolons"
        } else {
            "tabs"
        };
        notices.push(format!("The columns are separated by {name}."));
    }
    let lines = rows
        .iter()
        .map(|row| {
            let get = |col: usize| {
                index[col]
                    .and_then(|i| row.fields.get(i))
                    .map(|v| super::csv::restore(v.trim()).to_owned())
                    .unwrap_or_default()
            };
            let mut errors = Vec::new();
            let mut notes = Vec::new();
            if row.fields.len() != header.fields.len() {
                errors.push(format!(
                    "Has {} values where the header has {} columns.",
                    row.fields.len(),
                    header.fields.len()
                ));
            }
            let mut read_flag = |col: usize, default: bool| {
                flag(&get(col), default).unwrap_or_else(|m| {
                    errors.push(format!("{}: {m}", IMPORT_COLUMNS[col]));
                    default
                })
            };
            // A new local account changes its password at first sign-in
            // unless the file says otherwise; a directory account cannot.
            let directory = account_type_value(&get(6)) == AccountType::Directory.as_str();
            let must_change = read_flag(10, !directory);
            let rotate = read_flag(11, false);
            let or = |v: String, default: &str| {
                if v.is_empty() {
                    default.to_owned()
                } else {
                    v.to_ascii_lowercase()
                }
            };
            // The export writes "expired" for an account past its expiry; a
            // new account cannot expire in the past, so it arrives
            // deactivated, which is what an expired account is.
            let mut status = or(get(5), "active");
            let mut expires_on = get(9);
            if status == "expired" {
                status = "inactive".into();
                notes.push(format!(
                    "Expired{}: imported as deactivated, with no expiry date.",
                    if expires_on.is_empty() {
                        String::new()
                    } else {
                        format!(" on {expires_on}")
                    }
                ));
                expires_on.clear();
            }
            // The password is taken exactly as written: never exported, so
            // never defused, and spaces may be part of it.
            let password = index[12]
                .and_then(|i| row.fields.get(i))
                .cloned()
                .unwrap_or_default();
            let account_type = account_type_value(&get(6));
            // A deactivated account is not invited: nobody could use the link.
            let local = AccountType::parse(&account_type) == Ok(AccountType::Local);
            if password.is_empty() && local && status == "inactive" {
                notes.push(
                    "Deactivated and without a password: no invitation is sent. Reactivate it and send one when it is needed."
                        .into(),
                );
            }
            ImportLine {
                line: row.line,
                client_names: split_names(&get(7)),
                group_names: split_names(&get(13)),
                request: CreateAccountRequest {
                    username: get(0),
                    invite: password.is_empty() && local && status != "inactive",
                    account_type,
                    form: AccountForm {
                        first_name: get(1),
                        last_name: get(2),
                        email: get(3),
                        role: or(get(4), "user"),
                        status,
                        clients: Vec::new(),
                        case_access: or(get(8), "standard").replace([' ', '-'], "_"),
                        must_change_password: must_change,
                        rotate_password: rotate,
                        expires_on,
                        groups: Vec::new(),
                    },
                    new_password: NewPassword::new(password.clone(), password),
                },
                errors,
                notes,
            }
        })
        .collect();
    Ok(ImportFile { lines, notices })
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
    /// About the whole file (a column ignored, the separator used).
    #[serde(default)]
    pub notices: Vec<String>,
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

/// One staging step: a slice of the file as CSV with its header, and the
/// line of the whole file each of its rows starts on (so errors name the
/// lines a person sees in their editor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportChunk {
    pub batch: Option<uuid::Uuid>,
    /// One per data row of `csv`, in order.
    #[serde(default)]
    pub lines: Vec<u32>,
    /// Before `lines` (issue #12): the line of the first row, the others
    /// following it one a line. Read only when `lines` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_line: Option<u32>,
    pub csv: String,
}

impl ImportChunk {
    /// The file line of each of `rows` data rows.
    pub fn row_lines(&self, rows: usize) -> Result<Vec<u32>, ApiError> {
        if self.lines.is_empty() {
            if let Some(first) = self.first_line {
                return Ok((0..rows)
                    .map(|i| first.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)))
                    .collect());
            }
        }
        if self.lines.len() != rows {
            return Err(ApiError::validation(
                "lines",
                format!(
                    "The chunk has {rows} rows but {} line numbers: send one line number per row.",
                    self.lines.len()
                ),
            ));
        }
        Ok(self.lines.clone())
    }
}

/// Splits a file into chunks of rows, each a comma-separated CSV text with
/// the header (the browser stages them one request at a time).
pub fn chunks(text: &str, size: usize) -> Result<Vec<ImportChunk>, ApiError> {
    let delimiter = super::csv::detect_delimiter(text);
    let records =
        super::csv::parse(text, delimiter).map_err(|m| ApiError::validation("file", m))?;
    let Some((header, rows)) = records.split_first() else {
        return Ok(Vec::new());
    };
    Ok(rows
        .chunks(size.max(1))
        .map(|chunk| {
            let mut csv = super::csv::line_raw(&header.fields);
            for row in chunk {
                csv.push_str(&super::csv::line_raw(&row.fields));
            }
            ImportChunk {
                batch: None,
                lines: chunk.iter().map(|r| r.line).collect(),
                first_line: None,
                csv,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<ImportLine> {
        read_import(text).unwrap().lines
    }

    #[test]
    fn a_type_column_names_directory_accounts_as_people_write_it() {
        let file = read_import(
            "username,first_name,last_name,email,Type\nalice,,,,AD\nbob,,,,Active Directory\ncarl,C,D,c@d.org,\n",
        )
        .unwrap();
        let types: Vec<&str> = file
            .lines
            .iter()
            .map(|l| l.request.account_type.as_str())
            .collect();
        assert_eq!(types, ["directory", "directory", "local"]);
        assert!(
            !file.lines[0].request.invite,
            "nothing to invite a directory account to"
        );
        let unknown =
            read_import("username,first_name,last_name,email,type\nx,A,B,a@b.org,ldap\n").unwrap();
        assert_eq!(
            unknown.lines[0].request.account_type, "ldap",
            "refused by the form rules"
        );
    }

    #[test]
    fn reads_rows_with_defaults_and_any_column_order() {
        let text = "Email,Username,First Name,last_name,clients,must_change_password\r\n\
                    a@x.org,alice,Alice,Able,Acme; Globex ,\r\n\
                    b@x.org,bob,Bob,Baker,,maybe\r\n";
        let lines = lines(text);
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
        // A header mixing separators says what to do.
        assert!(err("username,first_name;last_name;email\nx,y")
            .contains("mixes separators: “first_name;last_name;email” holds several column names. Separate all the columns with commas, or all with semicolons."));
    }

    #[test]
    fn rows_name_the_line_they_start_on() {
        // The reported example: header, blank line, one row: line 3.
        let l = lines("username,first_name,last_name,email\n\nx,y,z,not-an-email\n");
        assert_eq!(l[0].line, 3);
        // A quoted value over two lines: the next row starts on line 4.
        let l = lines("username,first_name,last_name,email\na,\"A\nB\",c,d\ne,f,g,h\n");
        assert_eq!((l[0].line, l[1].line), (2, 4));
    }

    #[test]
    fn semicolon_files_are_read_and_said_so() {
        let file = read_import(
            "username;first_name;last_name;email;clients\nann;Ann;Lee;a@x.org;\"A;B\"\n",
        )
        .unwrap();
        assert_eq!(file.lines[0].request.form.email, "a@x.org");
        assert_eq!(file.lines[0].client_names, ["A", "B"]);
        assert_eq!(file.notices, ["The columns are separated by semicolons."]);
    }

    #[test]
    fn the_export_header_is_accepted() {
        let header = super::super::listing::EXPORT_HEADER.join(",");
        let file = read_import(&format!(
            "{header}\nann,Ann,Lee,a@x.org,user,active,local,,,,standard,no,no,2026-11-29T10:00:00Z\n"
        ))
        .unwrap();
        assert_eq!(file.notices.len(), 1);
        assert!(file.notices[0].contains("created_at is ignored"));
        assert!(file.lines[0].errors.is_empty());
    }

    #[test]
    fn expired_accounts_arrive_deactivated() {
        let l = lines("username,first_name,last_name,email,status,expires_on\na,A,B,a@x.org,expired,2020-01-31\n");
        assert_eq!(l[0].request.form.status, "inactive");
        assert_eq!(l[0].request.form.expires_on, "");
        assert_eq!(
            l[0].notes,
            [
                "Expired on 2020-01-31: imported as deactivated, with no expiry date.",
                "Deactivated and without a password: no invitation is sent. Reactivate it and send one when it is needed."
            ]
        );
        assert!(!l[0].request.invite);
    }

    #[test]
    fn chunks_keep_the_header_and_the_lines() {
        let text =
            "username,first_name,last_name,email\na,A,A,a@x.org\n\nb,B,B,b@x.org\nc,C,C,c@x.org\n";
        let parts = chunks(text, 2).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].lines, [2, 4]);
        assert_eq!(parts[1].lines, [5]);
        assert!(parts[1]
            .csv
            .starts_with("username,first_name,last_name,email\r\nc,"));
        assert_eq!(lines(&parts[1].csv)[0].request.username, "c");
        // Semicolon files are handed on with commas.
        let parts = chunks("username;first_name;last_name;email\na;A;A;a@x.org\n", 50).unwrap();
        assert!(parts[0].csv.starts_with("username,first_name"));
    }

    #[test]
    fn the_template_reads_back() {
        let file = read_import(&template()).unwrap();
        let row = &file.lines[0];
        assert!(row.errors.is_empty(), "{:?}", row.errors);
        assert_eq!(row.client_names, ["Acme", "Globex"]);
        assert_eq!(row.group_names, ["Editor"]);
        assert!(row.request.invite);
    }

    #[test]
    fn a_chunk_gives_one_line_per_row() {
        let chunk = |lines: Vec<u32>, first_line| ImportChunk {
            batch: None,
            lines,
            first_line,
            csv: String::new(),
        };
        assert_eq!(chunk(vec![2, 5], None).row_lines(2).unwrap(), [2, 5]);
        assert_eq!(chunk(vec![], Some(7)).row_lines(3).unwrap(), [7, 8, 9]);
        let e = chunk(vec![2], None).row_lines(2).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("lines"));
        // A row of one empty value survives being handed on.
        let parts = chunks(
            "username,first_name,last_name,email\n\"\"\nb,B,B,b@x.org\n",
            50,
        )
        .unwrap();
        assert_eq!(parts[0].lines, [2, 3]);
        assert_eq!(read_import(&parts[0].csv).unwrap().lines.len(), 2);
    }

    #[test]
    fn names_in_a_cell_round_trip() {
        let names = ["Smith; Jones LLP", "A\\B", "Plain"];
        assert_eq!(split_names(&join_names(&names)), names);
        assert_eq!(split_names(" Acme ; ;Globex"), ["Acme", "Globex"]);
        assert_eq!(split_names("C:\\x"), ["C:\\x"]);
    }
}
