//! The session cookie's `Set-Cookie` text. Over HTTPS (`secure`, from a
//! `https://` `ROLLCALL_PUBLIC_URL`) it is the `__Host-` cookie with
//! `Secure` (RFC 6265bis §4.1.3.2); it is always `HttpOnly`,
//! `SameSite=Strict` and `Path=/`, with no `Domain`.

use app::model::session::session_cookie_name;
use app::model::Secret;

/// The cookie that carries a new session's `token`.
pub fn session_cookie(secure: bool, token: &Secret) -> String {
    format!(
        "{}={}; Path=/; HttpOnly; SameSite=Strict{}",
        session_cookie_name(secure),
        token.expose(),
        if secure { "; Secure" } else { "" }
    )
}

/// The cookie that makes the browser forget its session (`Max-Age=0`).
pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}
