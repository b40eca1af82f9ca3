//! What the sign-in page remembers on this device (issue #17): the
//! organisation always, the username unless the person unticked "Remember
//! me on this device". Kept in the browser's `localStorage`; never the
//! password or anything the server issued.

/// The `localStorage` keys.
const ORG: &str = "rollcall.org";
const USERNAME: &str = "rollcall.username";
/// Present (`"no"`) when the person unticked "Remember me": the box starts
/// unticked next time too.
const FORGET: &str = "rollcall.remember";

/// What the sign-in form starts with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remembered {
    pub org: String,
    pub username: String,
    pub remember_me: bool,
}

/// The remembered organisation and username, and the box's last state.
pub fn recall() -> Remembered {
    Remembered {
        org: get(ORG).unwrap_or_default(),
        username: get(USERNAME).unwrap_or_default(),
        remember_me: get(FORGET).is_none(),
    }
}

/// After a successful sign-in: keep `org`, and `username` only when
/// `remember_me` (otherwise forget any kept before).
pub fn keep(org: &str, username: &str, remember_me: bool) {
    set(ORG, org.trim());
    if remember_me {
        set(USERNAME, username.trim());
        remove(FORGET);
    } else {
        remove(USERNAME);
        set(FORGET, "no");
    }
}

#[cfg(target_arch = "wasm32")]
fn storage() -> Option<web_sys::Storage> {
    // Private modes may refuse storage: then nothing is remembered.
    leptos::prelude::window().local_storage().ok().flatten()
}

#[cfg(target_arch = "wasm32")]
fn get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok().flatten()
}

#[cfg(target_arch = "wasm32")]
fn set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(key, value);
    }
}

#[cfg(target_arch = "wasm32")]
fn remove(key: &str) {
    if let Some(s) = storage() {
        let _ = s.remove_item(key);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn get(_key: &str) -> Option<String> {
    None
}

#[cfg(not(target_arch = "wasm32"))]
fn set(_key: &str, _value: &str) {}

#[cfg(not(target_arch = "wasm32"))]
fn remove(_key: &str) {}
