//! Moving focus to where a keyboard or screen-reader user needs it next
//! (WCAG 2.2 SC 2.4.3 Focus Order, SC 3.3.1 Error Identification): the
//! first invalid field after a failed submit, the page's heading after
//! navigation. Never away from where the person has put it meanwhile.

/// After the errors have rendered: focuses the first field of the main
/// region marked `aria-invalid="true"`, else the first alert in it (an
/// error about the whole form, such as a refused sign-in). Headings and
/// alerts become focusable by script only (`tabindex="-1"`). Nothing moves
/// if focus has left where it was at the call (the person is already
/// typing elsewhere).
pub fn focus_first_invalid() {
    focus_when_present(
        &["#main [aria-invalid=\"true\"]", "#main [role=\"alert\"]"],
        5,
        Guard::FocusStaysPut(current_focus()),
    );
}

/// Focuses the page's heading (`#main h1`, not the sign-in card's brand)
/// once it is there: a lazily loaded screen renders it only after its
/// module has arrived (up to 5 s). Focus the person already moved into the
/// page stays where it is.
pub fn focus_main_heading() {
    focus_when_present(&["#main h1:not(.brand)"], 100, Guard::NotInMain);
}

/// When a pending focus move gives up.
enum Guard {
    /// Focus is no longer on this element (`None`: the page itself).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    FocusStaysPut(Option<Focused>),
    /// Focus is on something inside the main region.
    NotInMain,
}

#[cfg(target_arch = "wasm32")]
type Focused = web_sys::Element;
#[cfg(not(target_arch = "wasm32"))]
type Focused = ();

#[cfg(target_arch = "wasm32")]
fn current_focus() -> Option<Focused> {
    leptos::prelude::document().active_element().filter(|el| {
        !el.is_same_node(
            leptos::prelude::document()
                .body()
                .as_deref()
                .map(AsRef::as_ref),
        )
    })
}

#[cfg(not(target_arch = "wasm32"))]
fn current_focus() -> Option<Focused> {
    None
}

/// Whether the person moved focus since the move was asked for.
#[cfg(target_arch = "wasm32")]
fn gave_up(guard: &Guard) -> bool {
    let now = current_focus();
    match guard {
        Guard::FocusStaysPut(then) => match (then, &now) {
            (Some(then), Some(now)) => !then.is_same_node(Some(now.as_ref())),
            (None, None) => false,
            // From the page to an element: the person clicked or tabbed.
            (None, Some(_)) => true,
            // The focused element went away (a re-render): nothing to keep.
            (Some(_), None) => false,
        },
        Guard::NotInMain => {
            now.is_some_and(|el| el.id() != "main" && el.closest("#main").ok().flatten().is_some())
        }
    }
}

/// Tries each selector in turn, every 50 ms, `tries` times at most, until
/// one finds an element that takes focus or the `guard` says to give up.
#[cfg(target_arch = "wasm32")]
fn focus_when_present(selectors: &'static [&'static str], tries: u32, guard: Guard) {
    leptos::prelude::set_timeout(
        move || {
            if gave_up(&guard) {
                return;
            }
            if !focus_first_of(selectors) && tries > 1 {
                focus_when_present(selectors, tries - 1, guard);
            }
        },
        std::time::Duration::from_millis(50),
    );
}

/// Focuses the first element a selector finds; false when none does or it
/// did not take focus.
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
    let focusable_by_nature = matches!(
        el.tag_name().to_ascii_lowercase().as_str(),
        "input" | "select" | "textarea" | "button" | "a"
    );
    if !focusable_by_nature && !el.has_attribute("tabindex") {
        let _ = el.set_attribute("tabindex", "-1");
    }
    let _ = el.focus();
    document
        .active_element()
        .is_some_and(|active| active.is_same_node(Some(el.as_ref())))
}

#[cfg(not(target_arch = "wasm32"))]
fn focus_when_present(_selectors: &'static [&'static str], _tries: u32, _guard: Guard) {}
