//! Issue #26: no request or answer that carries a secret shows it when
//! formatted (`{:?}`, as a log line or a panic would), while its JSON still
//! carries it.
#![allow(clippy::unwrap_used, clippy::panic)]

use app::api::invitations::{GetLinkStatus, SetPasswordFromLink};
use app::api::sessions::Login;
use app::api::settings::ChangePassword;
use app::model::directory::SaveDirectoryRequest;
use app::model::invitations::SetPasswordRequest;
use app::model::permissions::CreatedApiToken;
use app::model::{
    ChangePasswordRequest, CreateAccountRequest, NewPassword, ResetPasswordRequest,
    UpdateAccountRequest,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::fmt::Debug;

/// Distinct enough that no other text in a request contains it.
const SECRET: &str = "Zq7-secret-Wx9";

/// Reads `body` as `T`, checks the secret went in (JSON out has it), and
/// that `{:?}` and `{:#?}` do not show it.
fn check<T: DeserializeOwned + serde::Serialize + Debug>(body: Value) -> T {
    let value: T = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("{}: {e}", std::any::type_name::<T>()));
    let json = serde_json::to_string(&value).unwrap();
    assert!(
        json.contains(SECRET),
        "{} lost the secret: {json}",
        std::any::type_name::<T>()
    );
    for shown in [format!("{value:?}"), format!("{value:#?}")] {
        assert!(
            !shown.contains(SECRET),
            "{} shows a secret: {shown}",
            std::any::type_name::<T>()
        );
        assert!(shown.contains("[redacted]"), "{shown}");
    }
    value
}

fn account_fields() -> Value {
    json!({ "username": "ann", "first_name": "Ann", "last_name": "Lee", "email": "ann@example.org",
            "role": "user", "password": SECRET, "password_confirm": SECRET })
}

#[test]
fn every_request_that_carries_a_secret_formats_without_it() {
    let id = uuid::Uuid::nil();
    check::<CreateAccountRequest>(account_fields());
    let mut update = account_fields();
    update["id"] = json!(id);
    update["version"] = json!(1);
    check::<UpdateAccountRequest>(update);
    check::<ResetPasswordRequest>(
        json!({ "id": id, "password": SECRET, "password_confirm": SECRET }),
    );
    check::<ChangePasswordRequest>(
        json!({ "current_password": SECRET, "password": "x", "password_confirm": "x" }),
    );
    check::<ChangePasswordRequest>(
        json!({ "current_password": "x", "password": SECRET, "password_confirm": SECRET }),
    );
    check::<SetPasswordRequest>(
        json!({ "token": SECRET, "password": "x", "password_confirm": "x" }),
    );
    check::<SetPasswordRequest>(
        json!({ "token": "t", "password": SECRET, "password_confirm": SECRET }),
    );
    check::<NewPassword>(json!({ "password": SECRET, "password_confirm": SECRET }));
    let directory = check::<SaveDirectoryRequest>(json!({ "url": "ldaps://dc.example.org",
        "base_dn": "DC=example,DC=org", "upn_suffix": "example.org", "bind_name": "lookup", "bind_password": SECRET }));
    let checked = directory.validate().unwrap();
    assert!(!format!("{checked:?}").contains(SECRET));
    check::<CreatedApiToken>(
        json!({ "token": { "id": id, "name": "CI", "created_at": "2026-12-07T10:00:00Z",
        "created_by": null, "last_used_at": null, "revoked": false }, "secret": SECRET }),
    );
    // The server functions' own argument structs.
    check::<Login>(json!({ "tenant": "acme", "username": "ann", "password": SECRET }));
    check::<GetLinkStatus>(json!({ "token": SECRET }));
    check::<SetPasswordFromLink>(
        json!({ "request": { "token": SECRET, "password": "x", "password_confirm": "x" } }),
    );
    check::<ChangePassword>(
        json!({ "change": { "current_password": SECRET, "password": "x", "password_confirm": "x" } }),
    );
}

#[cfg(feature = "ssr")]
#[test]
fn what_the_server_learns_about_a_request_formats_without_its_tokens() {
    let meta = app::api::port::RequestMeta {
        session_token: Some(app::model::Secret::from(SECRET)),
        bearer_token: Some(app::model::Secret::from(SECRET)),
        ip: Some("192.0.2.1".into()),
        user_agent: None,
    };
    let shown = format!("{meta:?}");
    assert!(
        !shown.contains(SECRET) && shown.contains("192.0.2.1"),
        "{shown}"
    );
}
