use leptos::prelude::*;

/// A labelled input with its error right below it, wired for screen readers.
#[component]
pub fn TextField(
    /// The visible label (also the accessible name).
    label: &'static str,
    /// Unique id on the page; also the `name`.
    id: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:has-error=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=id
                type=input_type
                autocomplete=autocomplete
                required=required
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described
                bind:value=value
            />
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A labelled `<select>` with its error below it.
#[component]
pub fn SelectField(
    label: &'static str,
    id: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
    /// (value, label) pairs.
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = {
        let error_id = error_id.clone();
        move || error.with(Option::is_some).then(|| error_id.clone())
    };
    view! {
        <div class="field" class:has-error=move || error.with(Option::is_some)>
            <label for=id>{label}</label>
            <select id=id name=id bind:value=value aria-describedby=described>
                {options
                    .into_iter()
                    .map(|(v, l)| view! { <option value=v>{l}</option> })
                    .collect_view()}
            </select>
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}

/// A labelled checkbox with an optional hint and error.
#[component]
pub fn CheckboxField(
    label: &'static str,
    id: &'static str,
    checked: RwSignal<bool>,
    #[prop(into, optional)] hint: Option<Signal<String>>,
    #[prop(into, optional)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_else(|| Signal::derive(|| None));
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        let has_hint = hint.is_some();
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.with(Option::is_some) {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field checkbox" class:has-error=move || error.with(Option::is_some)>
            <label for=id>
                <input type="checkbox" id=id name=id bind:checked=checked aria-describedby=described />
                {label}
            </label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {move || error.get().map(|e| view! { <p class="field-error" id=error_id.clone()>{e}</p> })}
        </div>
    }
}
