//! Moving focus to where a keyboard or screen-reader user needs it next
//! (WCAG 2.2 SC 2.4.3 Focus Order, SC 3.3.1 Error Identification): the
//! first invalid field after a failed submit, the page's heading after
//! navigation.

/// After the errors have rendered: focuses the first field of the main
/// region marked `aria-invalid="true"`, else the first alert in it (an
/// error about the whole form).
pub fn focus_first_invalid() {
    focus_when_present(
        &["#main [aria-invalid=\"true\"]", "#main [role=\"alert\"]"],
        5,
        false,
    );
}

/// Focuses the page's heading (`#main h1`) once it is there: a lazily
/// loaded screen renders it only after its module has arrived. The
/// heading becomes focusable by script only (`tabindex="-1"`). Focus the
/// person already moved into the page stays where it is.
pub fn focus_main_heading() {
    focus_when_present(&["#main h1"], 40, true);
}

/// Whether focus is already on something inside the main region (not the
/// region itself).
#[cfg(target_arch = "wasm32")]
fn focus_is_in_main(document: &web_sys::Document) -> bool {
    document
        .active_element()
        .is_some_and(|el| el.id() != "main" && el.closest("#main").ok().flatten().is_some())
}

/// Tries each selector in turn, every 50 ms, `tries` times at most; with
/// `unless_in_main`, gives up as soon as focus is inside the main region.
#[cfg(target_arch = "wasm32")]
fn focus_when_present(selectors: &'static [&'static str], tries: u32, unless_in_main: bool) {
    leptos::prelude::set_timeout(
        move || {
            if unless_in_main && focus_is_in_main(&leptos::prelude::document()) {
                return;
            }
            if !focus_first_of(selectors) && tries > 1 {
                focus_when_present(selectors, tries - 1, unless_in_main);
            }
        },
        std::time::Duration::from_millis(50),
    );
}

/// Focuses the first element a selector finds; false when none does.
#[cfg(target_arch = "wasm32")]
fn focus_first_of(selectors: &[&str]) -> bool {
    use wasm_bindgen::JsCast;
    let document = leptos::prelude::document();
    let found = selectors
        .iter()
        .find_map(|s| document.query_selector(s).ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    let Some(el) = found else {
        return false;
    };
    if !el.has_attribute("tabindex") && el.tag_name().eq_ignore_ascii_case("h1") {
        let _ = el.set_attribute("tabindex", "-1");
    }
    let _ = el.focus();
    true
}

#[cfg(not(target_arch = "wasm32"))]
fn focus_when_present(_selectors: &'static [&'static str], _tries: u32, _unless_in_main: bool) {}
