use super::meta::request_meta;
use crate::domain::Services;
use app::api::port::SharedBackend;
use app::model::{ApiError, ErrorCode};
use axum::body::{to_bytes, Body};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use leptos::prelude::provide_context;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// Request bodies are small JSON documents; anything bigger is refused early.
const BODY_LIMIT: usize = 256 * 1024;
/// Error bodies are read back to derive the status.
/// An error may quote what it could not accept (a CSV header, a name), and a
/// request is at most `BODY_LIMIT`: room for all of it and the words around.
const ERROR_BODY_LIMIT: usize = 2 * BODY_LIMIT;

#[derive(Clone)]
struct AppState {
    services: Services,
    backend: SharedBackend,
    endpoints: Arc<BTreeSet<&'static str>>,
}

/// One line per `#[server]` function: its path and its registration.
///
/// This list is the API's single inventory. The router registers from it
/// (so a linker that drops the `app` crate's `inventory` entries cannot
/// silently unplug an endpoint), and the tests check it against every
/// server function the `app` crate declares and against `docs/api.md`.
macro_rules! endpoints {
    ($($module:ident::$function:ident),* $(,)?) => {
        /// Every server function: (path, explicit registration).
        const ENDPOINTS: &[(&str, fn())] = &[$((
            <app::api::$module::$function as server_fn::ServerFn>::PATH,
            server_fn::axum::register_explicit::<app::api::$module::$function>,
        )),*];
    };
}

endpoints![
    sessions::Login,
    sessions::Logout,
    sessions::LogoutEverywhere,
    sessions::Heartbeat,
    sessions::CurrentSession,
    accounts::ListAccounts,
    accounts::CreateAccount,
    accounts::GetAccount,
    accounts::UpdateAccount,
    accounts::DeleteAccount,
    accounts::ExportAccounts,
    accounts::ResetPassword,
    accounts::ClearThrottle,
    accounts::GetAccountFormOptions,
    accounts::PreviewImport,
    accounts::StageImport,
    accounts::CommitImport,
    accounts::DuplicateAccount,
    settings::GetSettings,
    settings::UpdateSettings,
    directory::GetDirectory,
    directory::SaveDirectory,
    directory::TestDirectory,
    directory::LookupDirectoryPerson,
    directory::RefreshFromDirectory,
    settings::ListClients,
    settings::SaveClient,
    settings::ArchiveClient,
    settings::GetPasswordPolicy,
    settings::ChangePassword,
    invitations::ForgotPassword,
    invitations::GetLinkStatus,
    invitations::SetPasswordFromLink,
    invitations::ResendInvitation,
    invitations::RevokeInvitation,
    permissions::ListGroups,
    permissions::SaveGroup,
    permissions::GroupMembers,
    permissions::DeleteGroup,
    permissions::ListForms,
    permissions::SaveForm,
    permissions::RetireForm,
    permissions::SaveColumn,
    permissions::RetireColumn,
    permissions::GetPermissions,
    permissions::SetPermissions,
    permissions::CheckAccess,
    permissions::AccessMatrix,
    permissions::ListApiTokens,
    permissions::CreateApiToken,
    permissions::RevokeApiToken,
    license::GetLicense,
    license::SignOutHolder,
    license::GetUsage,
    audit::ListAuditEvents,
    audit::ExportAuditEvents,
];

fn register_server_fns() {
    for (_, register) in ENDPOINTS {
        register();
    }
}

/// Every endpoint this router registers explicitly, with its method, sorted
/// by path (for docs and tests). `POST` for every one: each takes JSON.
pub fn registered_endpoints() -> Vec<(String, Method)> {
    register_server_fns();
    let explicit: BTreeSet<&str> = ENDPOINTS.iter().map(|(path, _)| *path).collect();
    server_fn::axum::server_fn_paths()
        .filter(|(path, _)| explicit.contains(path))
        .map(|(path, method)| (path.to_owned(), method))
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect()
}

/// Every server function the `app` crate declares, as its `inventory`
/// entries name them (path, sorted). The tests compare it with
/// [`registered_endpoints`]: a function missing from the list above fails.
pub fn declared_server_fns() -> Vec<String> {
    let mut all: Vec<String> = server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The whole application: the API under `/api/` and, when `site_root` is
/// given, the single-page app (every unknown path answers its shell).
pub fn router(services: Services, site_root: Option<PathBuf>) -> Router {
    register_server_fns();
    let endpoints = server_fn::axum::server_fn_paths().map(|(p, _)| p).collect();
    let state = AppState {
        backend: Arc::new(services.clone()),
        services: services.clone(),
        endpoints: Arc::new(endpoints),
    };
    let api = Router::new()
        .route("/api/health", get(health))
        .route("/api/{*rest}", any(api))
        .route("/api", any(unknown_api))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // API answers are compressed as they are made; the site's files
        // were compressed when it was built.
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            services.settings.origin_secret.clone(),
            through_own_front,
        ))
        .with_state(state);
    let app = match site_root {
        Some(root) => api.fallback_service(site_service(&root)),
        None => api.fallback(|| async {
            error_response(&ApiError::new(ErrorCode::NotFound, "Not found."))
        }),
    };
    with_security_headers(app, services.settings.secure_cookies)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// The single-page app's files from `root`, every unknown path answering its
/// shell (`index.html`) except under `/pkg/`, where they are 404.
///
/// The site build writes a brotli (`.br`) and a gzip (`.gz`) file beside
/// every file; the one the request's `Accept-Encoding` prefers is sent with
/// its `Content-Encoding`, and `Vary: Accept-Encoding` tells caches the
/// answer depends on it (RFC 9110 §12.5.3, §12.5.5). Files of a build folder
/// ([`is_content_hashed`]) are cached for a year as `immutable` (RFC 8246),
/// and so are their `304 Not Modified` answers, whose headers replace the
/// stored ones (RFC 9111 §4.3.4); everything else is revalidated on every
/// use (`Last-Modified`).
fn site_service(root: &std::path::Path) -> Router {
    let shell = ServeFile::new(root.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    let files = ServeDir::new(root)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(shell);
    // A module of a build this server does not have (an old tab after a
    // deployment) is a 404, never the shell under an immutable address.
    let modules = ServeDir::new(root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", modules)
        .fallback_service(files)
        .layer(axum::middleware::map_response_with_state(
            (),
            |_: State<()>, uri: http::Uri, mut res: Response| async move {
                let cacheable =
                    res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
                let cache = if cacheable && is_content_hashed(uri.path()) {
                    "public, max-age=31536000, immutable"
                } else {
                    "no-cache"
                };
                let headers = res.headers_mut();
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
                res
            },
        ))
}

/// Whether `path` names a file of a build folder:
/// `/pkg/<20 lowercase hex digits>/<file>`. The site build names that folder
/// by a SHA-256 of everything in it, so a file there never changes under
/// its address.
pub fn is_content_hashed(path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/pkg/") else {
        return false;
    };
    let Some((folder, file)) = rest.split_once('/') else {
        return false;
    };
    folder.len() == 20
        && folder
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && !file.is_empty()
        && !file.contains('/')
}

fn with_security_headers(app: Router, https: bool) -> Router {
    let headers: [(HeaderName, &'static str); 5] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    let mut app = app;
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if https {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    app
}

fn error_response(err: &ApiError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, Json(err)).into_response();
    set_retry_after(res.headers_mut(), err);
    res
}

/// `Retry-After` (RFC 9110 §10.2.3, delay-seconds) for an error that says
/// when to try again.
fn set_retry_after(headers: &mut http::HeaderMap, err: &ApiError) {
    if let Some(seconds) = err.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
}

async fn unknown_api() -> Response {
    error_response(&ApiError::new(
        ErrorCode::NotFound,
        "There is no such API endpoint. The endpoints are listed in docs/api.md.",
    ))
}

/// `GET /api/health`: 200 when the database answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    match sqlx::query_scalar!("SELECT 1 AS \"one!\"")
        .fetch_one(&state.services.pool)
        .await
    {
        Ok(_) => Json(serde_json::json!({ "status": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}

async fn api(State(state): State<AppState>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if !state.endpoints.contains(path.as_str()) {
        return unknown_api().await;
    }
    if req.method() != Method::POST {
        let mut res = error_response(&ApiError::new(
            ErrorCode::BadRequest,
            "Use POST with a JSON body for this endpoint.",
        ));
        *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return res;
    }
    let (parts, body) = req.into_parts();
    // Another site's page may post to us (a form, `fetch` in `no-cors`
    // mode) with or without the visitor's cookie: refused whoever it is,
    // so a visitor cannot be signed in to an account of the attacker's
    // either (login CSRF; ASVS 5.0 V3.5.1–V3.5.3). SameSite=Strict covers
    // only requests that carry the cookie.
    let settings = &state.services.settings;
    let meta = request_meta(&parts, settings.secure_cookies, &settings.trusted_proxies);
    if super::meta::is_cross_origin(&parts, &settings.public_url) {
        let refused = ApiError::new(
            ErrorCode::CrossOrigin,
            "This request came from another website, so it was refused. Open Rollcall at its own address and try again.",
        );
        state
            .services
            .audit_refused_request(&meta, &path, &refused, &[])
            .await;
        return error_response(&refused);
    }
    // Only a body declared as JSON is read: a cross-site form can send
    // `text/plain`, but not `application/json` without a CORS preflight,
    // which this API never grants.
    if !is_json(&parts.headers) {
        return error_response(&ApiError::new(
            ErrorCode::UnsupportedMediaType,
            "Send the request body as JSON, with the header Content-Type: application/json.",
        ));
    }
    // Read here (the server function decodes it whole anyway), so an
    // oversized body is a 413 whether or not it announced its length.
    let Ok(body) = to_bytes(body, BODY_LIMIT).await else {
        return error_response(&ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!(
                "The request is larger than {} KB. Send less at once (a large import goes in smaller files).",
                BODY_LIMIT / 1024
            ),
        ));
    };
    let sent = body.clone();
    let body = Body::from(body);
    let req = Request::from_parts(parts, body);
    let backend = state.backend.clone();
    let context = meta.clone();
    let res = leptos_axum::handle_server_fns_with_context(
        move || {
            provide_context(backend.clone());
            provide_context(context.clone());
        },
        req,
    )
    .await
    .into_response();
    let (res, error) = with_error_status(res).await;
    if let Some(error) = error {
        state
            .services
            .audit_refused_request(&meta, &path, &error, &sent)
            .await;
    }
    res
}

/// With `ROLLCALL_ORIGIN_SECRET` set (on AWS), an `/api` request that did
/// not come through CloudFront, which adds the secret in
/// [`crate::config::ORIGIN_HEADER`], is refused before anything else: API
/// Gateway's own `execute-api` address would skip CloudFront's headers and
/// edge protections.
async fn through_own_front(
    State(secret): State<Option<crate::config::OriginSecret>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if let Some(secret) = &secret {
        let presented = req
            .headers()
            .get(crate::config::ORIGIN_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !secret.matches(presented) {
            return error_response(&ApiError::new(
                ErrorCode::Forbidden,
                "Rollcall answers only at its own address. Open it there (ask your administrator for the link).",
            ));
        }
    }
    next.run(req).await
}

/// Whether the request declares a JSON body: `Content-Type` is
/// `application/json`, in any case, with or without parameters
/// (`; charset=utf-8`), as RFC 8259 §11 registers it.
pub fn is_json(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

/// Server functions answer every error with 500; the body says which error it
/// is, and its code decides the real status (401, 409, 422 ...). Answers
/// the error too, when there was one.
async fn with_error_status(res: Response) -> (Response, Option<ApiError>) {
    if !res.headers().contains_key("serverfnerror") {
        return (res, None);
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match to_bytes(body, ERROR_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return (error_response(&ApiError::internal()), None),
    };
    let err: ApiError = serde_json::from_slice(&bytes).unwrap_or_else(|_| ApiError::internal());
    parts.status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    parts.headers.remove("serverfnerror");
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    set_retry_after(&mut parts.headers, &err);
    (Response::from_parts(parts, Body::from(bytes)), Some(err))
}

#[cfg(test)]
mod tests {
    use super::{is_content_hashed, is_json};

    #[test]
    fn only_a_body_declared_as_json_is_read() {
        let with = |v: &str| {
            let mut h = http::HeaderMap::new();
            h.insert(http::header::CONTENT_TYPE, v.parse().unwrap());
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with(" application/json ;charset=UTF-8"));
        for other in [
            "text/plain",
            "text/plain; charset=application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
            "application/scim+json",
            "",
        ] {
            assert!(!with(other), "{other}");
        }
        assert!(!is_json(&http::HeaderMap::new()));
    }

    #[test]
    fn only_files_of_a_build_folder_are_content_hashed() {
        for hashed in [
            "/pkg/0123456789abcdef0123/rollcall.wasm",
            "/pkg/0123456789abcdef0123/__wasm_split.______________________.js",
            "/pkg/0123456789abcdef0123/chunk_12.wasm",
        ] {
            assert!(is_content_hashed(hashed), "{hashed}");
        }
        for plain in [
            "/pkg/rollcall.wasm",
            "/pkg/0123456789abcdef012/rollcall.wasm",
            "/pkg/0123456789ABCDEF0123/rollcall.wasm",
            "/pkg/0123456789abcdef0123/",
            "/pkg/0123456789abcdef0123/sub/rollcall.wasm",
            "/0123456789abcdef0123/rollcall.wasm",
            "/boot.js",
            "/index.html",
        ] {
            assert!(!is_content_hashed(plain), "{plain}");
        }
    }
}
