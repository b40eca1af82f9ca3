//! The catalogue of forms and their columns, and the tenant defaults.

use super::matrix::MatrixEditor;
use crate::api::permissions::{list_forms, retire_column, retire_form, save_column, save_form};
use crate::auth::Auth;
use crate::components::{ErrorState, FormState, Loading, TextField};
use crate::model::permissions::{parse_name, Form, Level, SaveColumnRequest, SaveFormRequest};
use crate::model::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

#[component]
pub fn FormsPage() -> impl IntoView {
    let auth = Auth::get();
    let forms = RwSignal::new(None::<Result<Vec<Form>, ApiError>>);
    let load = move || {
        spawn_local(async move {
            forms.set(Some(list_forms().await));
        })
    };
    load();
    let name = RwSignal::new(String::new());
    let form = FormState::new();
    let busy = form.busy;
    let add_form = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SaveFormRequest {
            id: None,
            version: None,
            name: name.get_untracked(),
        };
        let checked = parse_name("form", &request.name)
            .map(|_| ())
            .map_err(|m| vec![ApiError::validation("name", m)]);
        let added = request.name.trim().to_owned();
        form.submit(
            checked,
            move || save_form(request),
            move |all| {
                name.set(String::new());
                auth.flash.set(Some(format!("Form {added} added.")));
                forms.set(Some(Ok(all)));
            },
        );
    };
    view! {
        <div class="page-head">
            <h1>"Forms"</h1>
            <A href="/forms/defaults" attr:class="button secondary">"Tenant defaults"</A>
        </div>
        <p class="lede">"The forms of your organisation and their columns. Permissions are set per column: tenant default, then groups, then the person. A retired form or column leaves every permission screen; its settings are kept for a restore."</p>
        <form class="panel" on:submit=add_form novalidate>
            <h2>"Add a form"</h2>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <div class="inline-form">
                <TextField label="Form name" id="name" value=name error=form.error_for("name") />
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Adding…" } else { "Add form" }}
                </button>
            </div>
        </form>
        {move || match forms.get() {
            None => view! { <Loading what="the forms" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=load /> }.into_any()
            }
            Some(Ok(list)) if list.is_empty() => view! {
                <p class="state empty">"No forms yet. Add the first one above."</p>
            }.into_any(),
            Some(Ok(list)) => list.into_iter().map(|f| view! { <FormPanel form=f forms=forms /> }).collect_view().into_any(),
        }}
    }
}

#[component]
fn FormPanel(form: Form, forms: RwSignal<Option<Result<Vec<Form>, ApiError>>>) -> impl IntoView {
    let auth = Auth::get();
    let id = form.id;
    let form_version = form.version;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let column = RwSignal::new(String::new());
    let renaming = RwSignal::new(false);
    let new_name = RwSignal::new(form.name.clone());
    let done = move |r: Result<Vec<Form>, ApiError>, what: String| {
        match r {
            Ok(all) => {
                auth.flash.set(Some(what));
                forms.set(Some(Ok(all)));
            }
            Err(e) => error.set(Some(auth.message_for(&e))),
        }
        busy.set(false);
    };
    let add_column = {
        let form_name = form.name.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let name = column.get_untracked();
            if let Err(m) = parse_name("column", &name) {
                error.set(Some(m));
                return;
            }
            busy.set(true);
            error.set(None);
            let what = format!("Column {} added to {}.", name.trim(), form_name);
            spawn_local(async move {
                let r = save_column(SaveColumnRequest {
                    form: id,
                    id: None,
                    version: None,
                    name,
                })
                .await;
                if r.is_ok() {
                    column.set(String::new());
                }
                done(r, what);
            });
        }
    };
    let rename = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = new_name.get_untracked();
        if let Err(m) = parse_name("form", &name) {
            error.set(Some(m));
            return;
        }
        busy.set(true);
        let what = format!("Form renamed to {}.", name.trim());
        spawn_local(async move {
            let r = save_form(SaveFormRequest {
                id: Some(id),
                version: Some(form_version),
                name,
            })
            .await;
            if r.is_ok() {
                renaming.set(false);
            }
            done(r, what);
        });
    };
    let retired = form.retired;
    let toggle_form = {
        let form_name = form.name.clone();
        move |_| {
            busy.set(true);
            let what = format!(
                "Form {form_name} {}.",
                if retired { "restored" } else { "retired" }
            );
            spawn_local(async move { done(retire_form(id, !retired).await, what) });
        }
    };
    let heading_id = format!("form-{id}");
    let labelled_by = heading_id.clone();
    let column_input = format!("column-{id}");
    let form_name = form.name.clone();
    let rename_label = format!("Rename {}", form.name);
    let retire_label = format!(
        "{} {}",
        if retired { "Restore" } else { "Retire" },
        form.name
    );
    let new_column_label = format!("New column in {}", form.name);
    view! {
        <section class="panel" class:retired=retired aria-labelledby=labelled_by>
            <div class="matrix-head">
                {move || if renaming.get() {
                    view! {
                        <form class="inline-form" on:submit=rename novalidate>
                            <div class="field">
                                <label for=format!("rename-form-{id}")>"New form name"</label>
                                <input id=format!("rename-form-{id}") bind:value=new_name />
                            </div>
                            <button type="submit" class="primary small" disabled=move || busy.get()>"Save"</button>
                            <button type="button" class="secondary small" on:click=move |_| renaming.set(false)>"Cancel"</button>
                        </form>
                    }.into_any()
                } else {
                    view! { <h2 id=heading_id.clone()>{form_name.clone()}{retired.then(|| view! { " " <span class="tag">"retired"</span> })}</h2> }.into_any()
                }}
                <div class="row-tools">
                    <button type="button" class="secondary small" aria-label=rename_label on:click=move |_| renaming.set(true)>"Rename"</button>
                    <button type="button" class="secondary small" aria-label=retire_label
                        disabled=move || busy.get() on:click=toggle_form>
                        {if retired { "Restore" } else { "Retire" }}
                    </button>
                </div>
            </div>
            {move || error.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <ul class="columns">
                {form.columns.into_iter().map(|c| {
                    let cid = c.id;
                    let column_version = c.version;
                    let col_retired = c.retired;
                    let label = format!("{} {} / {}", if col_retired { "Restore" } else { "Retire" }, form.name, c.name);
                    let rename_label = format!("Rename {} / {}", form.name, c.name);
                    let input_label = format!("New name for {} / {}", form.name, c.name);
                    let what = format!("Column {} {}.", c.name, if col_retired { "restored" } else { "retired" });
                    let toggle = move |_| {
                        busy.set(true);
                        let what = what.clone();
                        spawn_local(async move { done(retire_column(cid, !col_retired).await, what) });
                    };
                    let editing = RwSignal::new(false);
                    let col_name = RwSignal::new(c.name.clone());
                    let rename_column = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let name = col_name.get_untracked();
                        if let Err(m) = parse_name("column", &name) {
                            error.set(Some(m));
                            return;
                        }
                        busy.set(true);
                        let what = format!("Column renamed to {}.", name.trim());
                        spawn_local(async move {
                            let r = save_column(SaveColumnRequest {
                                form: id,
                                id: Some(cid),
                                version: Some(column_version),
                                name,
                            })
                            .await;
                            if r.is_ok() {
                                editing.set(false);
                            }
                            done(r, what);
                        });
                    };
                    let shown = c.name.clone();
                    let default_text = if c.default_allowed { "default Allow" } else { "default Deny" };
                    view! {
                        <li class:retired=col_retired>
                            {move || if editing.get() {
                                view! {
                                    <form class="inline-form" on:submit=rename_column novalidate>
                                        <label class="visually-hidden" for=format!("rename-column-{cid}")>{input_label.clone()}</label>
                                        <input id=format!("rename-column-{cid}") bind:value=col_name />
                                        <button type="submit" class="primary small" disabled=move || busy.get()>"Save"</button>
                                        <button type="button" class="secondary small" on:click=move |_| editing.set(false)>"Cancel"</button>
                                    </form>
                                }.into_any()
                            } else {
                                view! {
                                    <span>{shown.clone()}</span>
                                    <span class="hint">{default_text}</span>
                                }.into_any()
                            }}
                            <button type="button" class="link small" aria-label=rename_label.clone() hidden=move || editing.get() on:click=move |_| editing.set(true)>"Rename"</button>
                            <button type="button" class="link small" aria-label=label disabled=move || busy.get() on:click=toggle>
                                {if col_retired { "Restore" } else { "Retire" }}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <form class="inline-form" on:submit=add_column novalidate>
                <div class="field">
                    <label for=column_input.clone()>{new_column_label}</label>
                    <input id=column_input bind:value=column />
                </div>
                <button type="submit" class="secondary" disabled=move || busy.get()>"Add column"</button>
            </form>
        </section>
    }
}

/// The first level: Allow or Deny for every column.
#[component]
pub fn TenantDefaultsPage() -> impl IntoView {
    view! {
        <div class="page-head">
            <h1>"Tenant defaults"</h1>
            <A href="/forms" attr:class="button secondary">"Forms"</A>
        </div>
        <MatrixEditor level=Level::Tenant />
    }
}
