//! CSV as spreadsheets write and read it (RFC 4180, CRLF line ends), with
//! positions a person can find: a record's line is the line it starts on,
//! counted as a text editor counts them (blank lines included).
//!
//! Cells that a spreadsheet would run as a formula are defused on export
//! with a leading `'` (OWASP "CSV injection") and restored on import, so a
//! file Rollcall writes reads back unchanged.
//!
//! Hand-written rather than the `csv` crate: csv 1.4 gives a record the
//! position *before* the blank lines that precede it (the fault this reader
//! exists to avoid), accepts an unclosed quote silently and keeps the UTF-8
//! byte-order mark, so it would need as much code around it as this.

use std::borrow::Cow;

/// What starts a formula in Excel, LibreOffice and Google Sheets.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `s`, after any leading `'`, starts a formula: such cells get one
/// more `'` on export, which import takes off again.
fn needs_defusing(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(FORMULA_TRIGGERS)
}

/// `s` as a spreadsheet may safely open it: `'` before a formula trigger.
pub fn defuse(s: &str) -> Cow<'_, str> {
    if needs_defusing(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The inverse of [`defuse`]: `restore(&defuse(s)) == s` for every `s`.
pub fn restore(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_defusing(rest) => rest,
        _ => s,
    }
}

fn quoted(s: &str) -> Cow<'_, str> {
    if s.contains([',', ';', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(s)
    }
}

/// One CSV cell: defused ([`defuse`]), then quoted when needed.
pub fn cell(s: &str) -> String {
    quoted(&defuse(s)).into_owned()
}

/// Cells joined with commas, CRLF-terminated. A record of one empty cell
/// is written `""`: a blank line would be no record at all.
fn join(cells: Vec<String>) -> String {
    let mut out = if cells.len() == 1 && cells[0].is_empty() {
        "\"\"".to_owned()
    } else {
        cells.join(",")
    };
    out.push_str("\r\n");
    out
}

/// One line of cells, CRLF-terminated.
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    join(cells.iter().map(|c| cell(c.as_ref())).collect())
}

/// One line of cells written exactly (quoted where needed, never defused):
/// for handing a file's own rows back to the server.
pub fn line_raw<S: AsRef<str>>(cells: &[S]) -> String {
    join(
        cells
            .iter()
            .map(|c| quoted(c.as_ref()).into_owned())
            .collect(),
    )
}

/// One record of a file and the line (from 1) it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub line: u32,
    pub fields: Vec<String>,
}

/// The separator of a file: `,`, or `;` (spreadsheets in locales with a
/// decimal comma) or a tab when the first line has that and no comma outside
/// quotes.
pub fn detect_delimiter(text: &str) -> char {
    let mut quoted = false;
    let (mut semicolons, mut tabs) = (0, 0);
    for c in text.trim_start_matches(['\u{feff}', '\r', '\n']).chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => return ',',
            ';' if !quoted => semicolons += 1,
            '\t' if !quoted => tabs += 1,
            '\n' | '\r' if !quoted => break,
            _ => {}
        }
    }
    if semicolons > 0 {
        ';'
    } else if tabs > 0 {
        '\t'
    } else {
        ','
    }
}

/// Parses CSV text into records. Accepts CRLF, LF or CR line ends, a UTF-8
/// byte-order mark, quoted fields with doubled quotes and line breaks. Blank
/// lines are skipped but counted. `Err` names the line of an unclosed quote.
pub fn parse(text: &str, delimiter: char) -> Result<Vec<Record>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut field_started = false;
    let mut line: u32 = 1;
    let mut record_line: u32 = 1;
    let mut in_record = false;
    let mut quote_line = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !in_record {
            in_record = true;
            record_line = line;
        }
        let line_break = c == '\n' || (c == '\r' && chars.peek() != Some(&'\n'));
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
        } else {
            match c {
                '"' if !field_started => {
                    quoted = true;
                    field_started = true;
                    quote_line = line;
                }
                _ if c == delimiter => {
                    fields.push(std::mem::take(&mut field));
                    field_started = false;
                }
                '\r' if !line_break => {}
                '\n' | '\r' => {
                    fields.push(std::mem::take(&mut field));
                    let blank = fields.len() == 1 && fields[0].is_empty() && !field_started;
                    if blank {
                        fields.clear();
                    } else {
                        records.push(Record {
                            line: record_line,
                            fields: std::mem::take(&mut fields),
                        });
                    }
                    field_started = false;
                    in_record = false;
                }
                _ => {
                    field_started = true;
                    field.push(c);
                }
            }
        }
        if line_break {
            line = line.saturating_add(1);
        }
    }
    if quoted {
        return Err(format!(
            "A quoted value that starts on line {quote_line} never ends: check the quotes."
        ));
    }
    if field_started || !fields.is_empty() || !field.is_empty() {
        fields.push(field);
        records.push(Record {
            line: record_line,
            fields,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(records: &[Record]) -> Vec<Vec<&str>> {
        records
            .iter()
            .map(|r| r.fields.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("a;b"), "\"a;b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("'=SUM(A1)"), "''=SUM(A1)");
        assert_eq!(cell("'quoted"), "'quoted");
        assert_eq!(line(&["a", "b,c"]), "a,\"b,c\"\r\n");
    }

    #[test]
    fn parses_what_spreadsheets_write() {
        let text = "\u{feff}username,first_name\r\njdoe,\"Doe, Jane\"\r\n\r\nx,\"two\nlines\"\nlast,\"q\"\"uote\"";
        let records = parse(text, ',').unwrap();
        assert_eq!(
            fields(&records),
            vec![
                vec!["username", "first_name"],
                vec!["jdoe", "Doe, Jane"],
                vec!["x", "two\nlines"],
                vec!["last", "q\"uote"],
            ]
        );
        // Lines as an editor shows them: the blank line 3 counts, and the
        // record after the two-line value starts on line 6.
        let lines: Vec<u32> = records.iter().map(|r| r.line).collect();
        assert_eq!(lines, [1, 2, 4, 6]);
        assert_eq!(fields(&parse("a,\n", ',').unwrap()), vec![vec!["a", ""]]);
        assert!(parse("a\n\"open", ',').unwrap_err().contains("line 2"));
        assert!(parse("a\n\nb,\"x\ny\nz", ',')
            .unwrap_err()
            .contains("line 3"));
    }

    #[test]
    fn a_row_after_a_blank_line_is_on_its_own_line() {
        // The reported example: header, a blank line, one row: line 3.
        let records = parse("username,first_name,last_name,email\n\nx,y,z,w\n", ',').unwrap();
        assert_eq!(records[1].line, 3);
        // CR-only line ends count too, as editors count them.
        let records = parse("h\r\rrow\r", ',').unwrap();
        assert_eq!(records[1].line, 3);
    }

    #[test]
    fn the_separator_is_read_from_the_header() {
        assert_eq!(detect_delimiter("username,first_name\n"), ',');
        assert_eq!(
            detect_delimiter("\u{feff}username;first_name;email\r\n"),
            ';'
        );
        assert_eq!(detect_delimiter("\"a,b\";c\n"), ';');
        assert_eq!(detect_delimiter("a\tb\n"), '\t');
        assert_eq!(detect_delimiter("username\n"), ',');
        assert_eq!(
            fields(&parse("a;\"b;c\"\n1;2\n", ';').unwrap()),
            vec![vec!["a", "b;c"], vec!["1", "2"]]
        );
    }

    proptest! {
        #[test]
        fn defusing_round_trips(s in "\\PC*") {
            let defused = defuse(&s);
            prop_assert_eq!(restore(&defused), s.as_str());
            prop_assert!(!defuse(&s).starts_with(FORMULA_TRIGGERS));
        }

        #[test]
        fn written_files_read_back(rows in proptest::collection::vec(
            proptest::collection::vec("[^\u{feff}]*", 1..5), 1..6)) {
            // Any cells, including quotes, separators, line breaks (CR, LF,
            // CRLF) and formula triggers: what line() writes, parse() reads.
            let text: String = rows.iter().map(|r| line(r)).collect();
            let read = parse(&text, ',').unwrap();
            let got: Vec<Vec<String>> = read
                .iter()
                .map(|r| r.fields.iter().map(|f| restore(f).to_owned()).collect())
                .collect();
            prop_assert_eq!(&got, &rows);
            // Written exactly (no defusing), as the import hands chunks on.
            let raw: String = rows.iter().map(|r| line_raw(r)).collect();
            let got: Vec<Vec<String>> = parse(&raw, ',')
                .unwrap()
                .into_iter()
                .map(|r| r.fields)
                .collect();
            prop_assert_eq!(&got, &rows);
        }
    }
}
