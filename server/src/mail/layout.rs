//! How Rollcall's mail looks: a subject, a plain-text part and a small HTML
//! page, every interpolated value HTML-escaped.

/// `s` with the five HTML-significant characters as entities.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A message's subject, plain text and HTML.
#[derive(Debug)]
pub struct Composed {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// An HTML page of `paragraphs` (already escaped), with `button`
/// (address, label) after the second one.
pub fn html_page(paragraphs: &[String], button: Option<(&str, &str)>) -> String {
    let mut body = String::from(
        "<!doctype html><html><body style=\"font-family:system-ui,sans-serif;line-height:1.5;color:#1f2933\">",
    );
    for (i, p) in paragraphs.iter().enumerate() {
        body.push_str("<p>");
        body.push_str(p);
        body.push_str("</p>");
        if i == 1 {
            if let Some((href, label)) = button {
                body.push_str(&format!(
                    "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 18px;background:#1d4ed8;color:#fff;text-decoration:none;border-radius:6px\">{}</a></p><p style=\"font-size:13px;color:#52606d\">Or paste this address into your browser: {}</p>",
                    escape(href),
                    escape(label),
                    escape(href)
                ));
            }
        }
    }
    body.push_str("</body></html>");
    body
}
