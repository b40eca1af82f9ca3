//! What the HTTP request tells about the caller.

use crate::config::Cidr;
use app::api::port::RequestMeta;
use app::model::session::session_cookie_name;
use app::model::Secret;
use axum::extract::ConnectInfo;
use http::header::{AUTHORIZATION, COOKIE, USER_AGENT};
use http::request::Parts;
use std::net::{IpAddr, SocketAddr};

const USER_AGENT_MAX: usize = 512;

pub fn request_meta(parts: &Parts, secure_cookies: bool, trusted_proxies: &[Cidr]) -> RequestMeta {
    let cookie_name = session_cookie_name(secure_cookies);
    let session_token = parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty());
    let user_agent = parts
        .headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
    let bearer_token = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    RequestMeta {
        session_token: session_token.map(Secret::from),
        bearer_token: bearer_token.map(Secret::from),
        ip: client_ip(parts, trusted_proxies),
        user_agent,
    }
}

/// `scheme://host[:port]` of `ROLLCALL_PUBLIC_URL`: what a browser sends as
/// `Origin` for the app's own requests (RFC 6454 §6.1).
pub fn own_origin(public_url: &str) -> &str {
    let after_scheme = public_url.find("://").map_or(0, |i| i + 3);
    match public_url[after_scheme..].find('/') {
        Some(i) => &public_url[..after_scheme + i],
        None => public_url,
    }
}

/// A request that a browser made for another site: its `Origin` is not the
/// app's own, or, without `Origin`, `Sec-Fetch-Site` says `cross-site`
/// (OWASP CSRF Prevention Cheat Sheet, "Verifying Origin With Standard
/// Headers" and "Fetch Metadata"). Requests with neither header (scripts,
/// the CLI, API-token clients) are not browsers' and pass.
pub fn is_cross_origin(parts: &Parts, public_url: &str) -> bool {
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("").trim().to_owned())
    };
    match header("origin") {
        Some(origin) => !origin.eq_ignore_ascii_case(own_origin(public_url)),
        None => {
            header("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("cross-site"))
        }
    }
}

/// The client's address: the TCP peer locally, on Lambda the source IP API
/// Gateway saw. When that is one of `trusted_proxies`, the rightmost
/// `X-Forwarded-For` entry that is not (the client as the nearest trusted
/// proxy saw it; entries further left are whatever the client claimed).
fn client_ip(parts: &Parts, trusted_proxies: &[Cidr]) -> Option<String> {
    let peer = peer_ip(parts)?.to_canonical();
    let trusted = |ip: IpAddr| trusted_proxies.iter().any(|c| c.contains(ip));
    if !trusted(peer) {
        return Some(peer.to_string());
    }
    let entries: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    // From the right: past our trusted proxies, the first address is the
    // client as they saw it. Anything unreadable there is the client's own
    // claim: stop at the last address a trusted proxy vouched for.
    let mut client = peer;
    for entry in entries.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !trusted(client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(client.to_string())
}

fn peer_ip(parts: &Parts) -> Option<IpAddr> {
    if let Some(ConnectInfo(addr)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        return Some(addr.ip());
    }
    use lambda_http::request::RequestContext;
    let source = match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.clone(),
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.clone(),
        RequestContext::Alb(_) => None,
        #[allow(unreachable_patterns)]
        _ => None,
    };
    source?.parse().ok()
}

#[cfg(test)]
mod origin_tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut req = http::Request::builder()
            .method("POST")
            .uri("/api/heartbeat");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).unwrap().into_parts().0
    }

    fn from_peer(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut p = parts(headers);
        p.extensions
            .insert(ConnectInfo(SocketAddr::new(peer.parse().unwrap(), 40000)));
        p
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let lb = [Cidr::parse("10.0.0.0/8").unwrap()];
        let xff = [("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.1.1")];
        // From a stranger the header is a claim, ignored.
        assert_eq!(
            client_ip(&from_peer("198.51.100.1", &xff), &lb).as_deref(),
            Some("198.51.100.1")
        );
        assert_eq!(
            client_ip(&from_peer("10.0.0.5", &xff), &[]).as_deref(),
            Some("10.0.0.5")
        );
        // From the balancer: the rightmost address it did not add itself.
        assert_eq!(
            client_ip(&from_peer("10.0.0.5", &xff), &lb).as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(
            client_ip(&from_peer("10.0.0.5", &[]), &lb).as_deref(),
            Some("10.0.0.5")
        );
        // An entry that is not an address stops the walk at the proxy's word.
        let junk = [("x-forwarded-for", "6.6.6.6, garbage, 10.1.1.1")];
        assert_eq!(
            client_ip(&from_peer("10.0.0.5", &junk), &lb).as_deref(),
            Some("10.1.1.1")
        );
        // IPv4 peers seen through an IPv6 socket match IPv4 blocks.
        assert_eq!(
            client_ip(&from_peer("::ffff:10.0.0.5", &xff), &lb).as_deref(),
            Some("203.0.113.9")
        );
    }

    #[test]
    fn only_the_apps_own_origin_passes() {
        let own = "https://rollcall.example.org";
        assert_eq!(own_origin("https://rollcall.example.org/app"), own);
        assert_eq!(own_origin("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        assert!(!is_cross_origin(&parts(&[("origin", own)]), own));
        assert!(!is_cross_origin(
            &parts(&[("origin", "HTTPS://Rollcall.example.org")]),
            own
        ));
        assert!(is_cross_origin(
            &parts(&[("origin", "https://evil.example")]),
            own
        ));
        assert!(is_cross_origin(&parts(&[("origin", "null")]), own));
        assert!(is_cross_origin(
            &parts(&[("sec-fetch-site", "cross-site")]),
            own
        ));
        assert!(!is_cross_origin(
            &parts(&[("sec-fetch-site", "same-origin")]),
            own
        ));
        assert!(!is_cross_origin(&parts(&[]), own), "a script sends neither");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder();
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn finds_the_session_cookie_among_others() {
        let p = parts(&[("cookie", "a=1; rollcall_session=tok; b=2")]);
        assert_eq!(
            request_meta(&p, false, &[])
                .session_token
                .as_ref()
                .map(Secret::expose),
            Some("tok")
        );
        // Over HTTPS only the __Host- cookie counts.
        assert_eq!(request_meta(&p, true, &[]).session_token, None);
        let p = parts(&[("cookie", "__Host-rollcall_session=sec")]);
        assert_eq!(
            request_meta(&p, true, &[])
                .session_token
                .as_ref()
                .map(Secret::expose),
            Some("sec")
        );
        let p = parts(&[("cookie", "rollcall_session=")]);
        assert_eq!(request_meta(&p, false, &[]).session_token, None);
    }

    #[test]
    fn user_agent_is_capped() {
        let long = "x".repeat(2000);
        let p = parts(&[("user-agent", long.as_str())]);
        assert_eq!(
            request_meta(&p, false, &[]).user_agent.unwrap().len(),
            USER_AGENT_MAX
        );
    }
}
