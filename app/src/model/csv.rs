//! CSV as spreadsheets write and read it (RFC 4180, CRLF line ends).

/// One CSV cell: quoted when needed, and defused when a spreadsheet would
/// read it as a formula.
pub fn cell(s: &str) -> String {
    let defused = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// One line of cells, CRLF-terminated.
pub fn line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = cells
        .iter()
        .map(|c| cell(c.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

/// One line of cells written exactly (quoted where needed, never defused):
/// for handing a file's own rows back to the server.
pub fn line_raw<S: AsRef<str>>(cells: &[S]) -> String {
    let mut out = cells
        .iter()
        .map(|c| {
            let c = c.as_ref();
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    out.push_str("\r\n");
    out
}

/// Parses CSV text into records of fields. Accepts CRLF or LF line ends, a
/// UTF-8 byte-order mark, quoted fields with doubled quotes and line breaks.
/// Blank lines are skipped. `Err` names the line of an unclosed quote.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut quote_started_on = 0;
    let mut line_no = 1;
    let mut chars = text.chars().peekable();
    let mut field_started = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line_no += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if !field_started => {
                quoted = true;
                field_started = true;
                quote_started_on = line_no;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                field_started = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                line_no += 1;
                record.push(std::mem::take(&mut field));
                field_started = false;
                if !(record.len() == 1 && record[0].is_empty()) {
                    records.push(std::mem::take(&mut record));
                } else {
                    record.clear();
                }
            }
            _ => {
                field_started = true;
                field.push(c);
            }
        }
    }
    if quoted {
        return Err(format!(
            "A quoted value that starts on line {quote_started_on} never ends: check the quotes."
        ));
    }
    if field_started || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(line(&["a", "b,c"]), "a,\"b,c\"\r\n");
    }

    #[test]
    fn parses_what_spreadsheets_write() {
        let text = "\u{feff}username,first_name\r\njdoe,\"Doe, Jane\"\r\n\r\nx,\"two\nlines\"\nlast,\"q\"\"uote\"";
        let records = parse(text).unwrap();
        assert_eq!(
            records,
            vec![
                vec!["username", "first_name"],
                vec!["jdoe", "Doe, Jane"],
                vec!["x", "two\nlines"],
                vec!["last", "q\"uote"],
            ]
        );
        assert_eq!(parse("a,\n").unwrap(), vec![vec!["a", ""]]);
        assert!(parse("a\n\"open").unwrap_err().contains("line 2"));
    }
}
