use leptos::html;
use leptos::prelude::*;

/// A modal confirmation (native `<dialog>`: focus stays inside, Escape
/// cancels). Shown while `open` is true.
#[component]
pub fn ConfirmDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] message: Signal<String>,
    #[prop(into)] confirm_label: Signal<String>,
    #[prop(into)] busy: Signal<bool>,
    #[prop(into)] error: Signal<Option<String>>,
    on_confirm: impl Fn() + 'static,
) -> impl IntoView {
    let dialog: NodeRef<html::Dialog> = NodeRef::new();
    // The control that opened the dialog gets focus back when it closes
    // (WAI-ARIA APG, dialog pattern). Browsers restore it themselves only
    // sometimes: Firefox does not once focus has left the page, as a Tab
    // past the last control does.
    let opener = StoredValue::new_local(None::<leptos::web_sys::HtmlElement>);
    Effect::new(move |_| {
        let want = open.get();
        if let Some(d) = dialog.get() {
            if want && !d.open() {
                opener.set_value(document().active_element().and_then(|e| {
                    leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::HtmlElement>(e).ok()
                }));
                let _ = d.show_modal();
            } else if !want && d.open() {
                d.close();
            }
        }
    });
    let restore_focus = move || {
        if let Some(el) = opener.get_value().filter(|el| el.is_connected()) {
            let _ = el.focus();
        }
        opener.set_value(None);
    };
    // Several dialogs may be on one page (one per table row): each needs
    // its own ids for its name and description.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let (title_id, message_id) = (format!("dialog-{n}-title"), format!("dialog-{n}-message"));
    let (labelled_by, described_by) = (title_id.clone(), message_id.clone());
    view! {
        <dialog
            node_ref=dialog
            class="dialog"
            aria-labelledby=labelled_by
            aria-describedby=described_by
            on:close=move |_| {
                open.set(false);
                restore_focus();
            }
        >
            <h2 id=title_id>{title}</h2>
            <p id=message_id>{message}</p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="button" class="secondary" autofocus on:click=move |_| open.set(false)>
                    "Cancel"
                </button>
                <button
                    type="button"
                    class="danger"
                    disabled=move || busy.get()
                    on:click=move |_| on_confirm()
                >
                    {move || if busy.get() { "Working…".to_owned() } else { confirm_label.get() }}
                </button>
            </div>
        </dialog>
    }
}
