//! Reusable widgets: form fields, the confirmation dialog, the password
//! checklist, and page states.

mod checklist;
mod dialog;
mod field;
mod focus;
mod form;
mod states;
mod table;
mod zone;

pub use checklist::PasswordChecklist;
pub use dialog::ConfirmDialog;
pub use field::{CheckboxField, SelectField, TextField};
pub use focus::{focus_first_invalid, focus_main_heading};
pub use form::FormState;
pub use states::{ErrorState, Loading, ScreenNotLoaded};
pub use table::DataTable;
pub use zone::{
    browser_zone, format_day, format_time, known_zones, local, organisation_zone, Local, ZoneNote,
};

/// Hands `content` to the browser as a file download.
#[cfg(target_arch = "wasm32")]
pub fn download_csv(name: &str, content: &str) {
    use wasm_bindgen::{JsCast, JsValue};
    let parts = js_sys_array(content);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(a) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    // Revoked a little later: some browsers start the download asynchronously.
    gloo_timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    fn js_sys_array(s: &str) -> JsValue {
        let array = js_sys::Array::new();
        array.push(&JsValue::from_str(s));
        array.into()
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub fn download_csv(_name: &str, _content: &str) {}

/// Percent-encodes a query value (organisation and usernames are plain
/// ASCII, but a person may type anything).
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of the file chosen in `input` (at most 2 MB). Errors are
/// sentences: `none` when no file is chosen, `not_text` completes "The file
/// is not text." with what to do.
#[cfg(target_arch = "wasm32")]
pub async fn read_text_file(
    input: &web_sys::HtmlInputElement,
    none: &str,
    not_text: &str,
) -> Result<String, String> {
    let file = input
        .files()
        .and_then(|f| f.get(0))
        .ok_or_else(|| none.to_owned())?;
    if file.size() > 2_000_000.0 {
        return Err("The file is over 2 MB: choose a smaller one.".into());
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| "The file could not be read. Choose it again.".to_owned())?;
    text.as_string()
        .ok_or_else(|| format!("The file is not text. {not_text}"))
}

#[cfg(not(target_arch = "wasm32"))]
pub async fn read_text_file(
    _input: &leptos::web_sys::HtmlInputElement,
    _none: &str,
    _not_text: &str,
) -> Result<String, String> {
    Err("Files can only be read in the browser.".into())
}

/// Puts `text` on the clipboard, then sets `copied` to what to announce:
/// "Copied to the clipboard." or `on_fail` (the browser refused).
#[cfg(target_arch = "wasm32")]
pub fn copy_to_clipboard(
    text: String,
    copied: leptos::prelude::RwSignal<Option<&'static str>>,
    on_fail: &'static str,
) {
    use leptos::prelude::Set;
    let Some(window) = web_sys::window() else {
        return;
    };
    let promise = window.navigator().clipboard().write_text(&text);
    leptos::task::spawn_local(async move {
        let outcome = wasm_bindgen_futures::JsFuture::from(promise).await;
        copied.set(Some(match outcome {
            Ok(_) => "Copied to the clipboard.",
            Err(_) => on_fail,
        }));
    });
}

#[cfg(not(target_arch = "wasm32"))]
pub fn copy_to_clipboard(
    _text: String,
    _copied: leptos::prelude::RwSignal<Option<&'static str>>,
    _on_fail: &'static str,
) {
}

#[cfg(test)]
mod tests {
    use super::query_value;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_value("demo"), "demo");
        assert_eq!(query_value("j.doe-1_x~"), "j.doe-1_x~");
        assert_eq!(query_value("a b&c=d@é"), "a%20b%26c%3Dd%40%C3%A9");
    }
}
