//! The permission matrix of one level (tenant default, a group, a person):
//! every form with its columns, each cell's setting, and what it gives.

use crate::api::permissions::{get_permissions, set_permissions};
use crate::auth::Auth;
use crate::components::{ConfirmDialog, ErrorState, Loading};
use crate::model::permissions::{
    CellChange, Level, Matrix, MatrixCell, SetPermissionsRequest, Setting, RULE,
};
use crate::model::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;

fn choices(level: Level) -> &'static [Setting] {
    match level {
        Level::Tenant => &[Setting::Allow, Setting::Deny],
        _ => &[Setting::Inherit, Setting::Allow, Setting::Deny],
    }
}

/// What the third column says beside a cell.
fn effect_text(level: Level, c: &MatrixCell) -> String {
    match level {
        Level::Tenant => String::new(),
        Level::Group(_) => match c.setting {
            Setting::Inherit => format!(
                "Inherits the tenant default: {}",
                verdict(c.effective.allowed)
            ),
            s => format!("{} for members (unless set on the person)", s.label()),
        },
        Level::Account(_) => c.effective.describe(),
    }
}

fn verdict(allowed: bool) -> &'static str {
    if allowed {
        "Allow"
    } else {
        "Deny"
    }
}

#[component]
pub fn MatrixEditor(level: Level) -> impl IntoView {
    let auth = Auth::get();
    let data = RwSignal::new(None::<Result<Matrix, ApiError>>);
    let load = move || {
        spawn_local(async move {
            data.set(Some(get_permissions(level).await));
        })
    };
    load();
    let busy = RwSignal::new(false);
    let status = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let apply = move |cells: Vec<CellChange>, what: String| {
        if cells.is_empty() {
            status.set(Some(format!("{what}: nothing to change.")));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match set_permissions(SetPermissionsRequest { level, cells }).await {
                Ok(m) => {
                    data.set(Some(Ok(m)));
                    status.set(Some(format!("Saved: {what}.")));
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    let cells_where =
        move |keep: &dyn Fn(&str, &MatrixCell) -> bool, to: Setting| -> Vec<CellChange> {
            data.with_untracked(|d| match d {
                Some(Ok(m)) => m
                    .forms
                    .iter()
                    .flat_map(|f| f.columns.iter().map(move |c| (f.name.as_str(), c)))
                    .filter(|(f, c)| keep(f, c) && c.setting != to)
                    .map(|(_, c)| CellChange {
                        column: c.column,
                        setting: to,
                    })
                    .collect(),
                _ => Vec::new(),
            })
        };

    // Whole-column control: a column name across every form that has it.
    let column_names = Memo::new(move |_| {
        data.with(|d| match d {
            Some(Ok(m)) => {
                let mut names: Vec<String> = m
                    .forms
                    .iter()
                    .flat_map(|f| f.columns.iter().map(|c| c.name.clone()))
                    .collect();
                names.sort();
                names.dedup();
                names
            }
            _ => Vec::new(),
        })
    });
    let across_name = RwSignal::new(String::new());
    let across_setting = RwSignal::new(choices(level)[0].as_str().to_owned());
    let apply_across = move |_| {
        let name = across_name.get_untracked();
        let Some(to) = Setting::parse(&across_setting.get_untracked()) else {
            return;
        };
        if name.is_empty() {
            error.set(Some("Choose a column name first.".into()));
            return;
        }
        let cells = cells_where(&|_, c| c.name == name, to);
        apply(
            cells,
            format!("every “{name}” column is now {}", to.label()),
        );
    };

    let clear_open = RwSignal::new(false);
    let clear_error = RwSignal::new(None::<String>);
    let confirm_clear = move || {
        let cells = cells_where(&|_, _| true, Setting::Inherit);
        clear_open.set(false);
        apply(cells, "every override cleared".into());
    };

    let rule = match level {
        Level::Tenant => "The tenant default applies wherever no group of the person and nothing on the person says otherwise.",
        _ => RULE,
    };
    view! {
        <p class="lede">{rule}</p>
        <div class="matrix-tools panel">
            <div class="inline-form">
                <div class="field">
                    <label for="across-name">"Column in every form"</label>
                    <select id="across-name" bind:value=across_name>
                        <option value="">"Choose a column name"</option>
                        {move || column_names.get().into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="across-setting">"Set to"</label>
                    <select id="across-setting" bind:value=across_setting>
                        {choices(level).iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <button type="button" class="secondary" disabled=move || busy.get() on:click=apply_across>"Apply to every form"</button>
            </div>
            {(level != Level::Tenant).then(|| view! {
                <button type="button" class="secondary" disabled=move || busy.get()
                    on:click=move |_| { clear_error.set(None); clear_open.set(true); }>
                    "Clear all overrides"
                </button>
            })}
        </div>
        <p class="hint" id="matrix-keys">"Arrow up and down move between cells, Home and End to the first and last; Space opens a cell's choices, or type the first letter of a setting to choose it."</p>
        <div aria-live="polite">
            {move || status.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        </div>
        {move || error.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        {move || match data.get() {
            None => view! { <Loading what="the permissions" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=load /> }.into_any()
            }
            Some(Ok(m)) if m.forms.is_empty() => view! {
                <p class="state empty">"The catalogue has no forms yet. Add them on the Forms page."</p>
            }.into_any(),
            Some(Ok(m)) => m.forms.into_iter().map(|f| {
                let form_name = f.name.clone();
                let heading_id = format!("form-{}", f.id);
                let labelled_by = heading_id.clone();
                let row_buttons = choices(level).iter().map(|s| {
                    let s = *s;
                    let fname = form_name.clone();
                    let label = format!("{} every column of {}", s.label(), fname);
                    let on_click = move |_| {
                        let fname2 = fname.clone();
                        let cells = cells_where(&|f, _| f == fname2, s);
                        apply(cells, format!("every column of {fname} is now {}", s.label()));
                    };
                    view! {
                        <button type="button" class="secondary small" aria-label=label disabled=move || busy.get() on:click=on_click>
                            {format!("All {}", s.label())}
                        </button>
                    }
                }).collect_view();
                view! {
                    <section class="panel matrix-form" aria-labelledby=labelled_by>
                        <div class="matrix-head">
                            <h2 id=heading_id>{f.name.clone()}</h2>
                            <div class="row-tools">{row_buttons}</div>
                        </div>
                        <div class="table-wrap">
                            <table>
                                <caption class="visually-hidden">{format!("Permissions for {}", f.name)}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Column"</th>
                                        <th scope="col">{if level == Level::Tenant { "Tenant default" } else { "Setting" }}</th>
                                        {(level != Level::Tenant).then(|| view! { <th scope="col">"Effective"</th> })}
                                    </tr>
                                </thead>
                                <tbody>
                                    {f.columns.into_iter().map(|c| {
                                        let label = format!("{} / {}", form_name, c.name);
                                        let what = label.clone();
                                        let column = c.column;
                                        let current = c.setting;
                                        let on_change = move |ev: leptos::ev::Event| {
                                            if let Some(to) = Setting::parse(&event_target_value(&ev)) {
                                                if to != current {
                                                    apply(vec![CellChange { column, setting: to }], format!("{what} is now {}", to.label()));
                                                }
                                            }
                                        };
                                        let effect = effect_text(level, &c);
                                        view! {
                                            <tr>
                                                <th scope="row">{c.name.clone()}</th>
                                                <td>
                                                    <select class="matrix-cell" aria-label=label aria-describedby="matrix-keys"
                                                        on:change=on_change on:keydown=move_between_cells disabled=move || busy.get()>
                                                        {choices(level).iter().map(|s| view! {
                                                            <option value=s.as_str() selected={*s == current}>{s.label()}</option>
                                                        }).collect_view()}
                                                    </select>
                                                </td>
                                                {(level != Level::Tenant).then(|| view! {
                                                    <td class=if c.effective.allowed { "effect allow" } else { "effect deny" }>{effect}</td>
                                                })}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </section>
                }
            }).collect_view().into_any(),
        }}
        <ConfirmDialog
            open=clear_open
            title="Clear all overrides?".to_owned()
            message="Every cell at this level goes back to Inherit, so the levels above decide.".to_owned()
            confirm_label="Clear all overrides".to_owned()
            busy=busy
            error=clear_error
            on_confirm=confirm_clear
        />
    }
}

/// Arrow Up and Down move focus to the cell above or below, across the
/// forms' tables; Home and End to the first and last cell. A closed
/// `<select>` would otherwise change its value (and save it) on every arrow
/// press. Space, Alt+Down or typing the first letter still set a value.
#[cfg(target_arch = "wasm32")]
fn move_between_cells(ev: leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    if ev.alt_key() || ev.ctrl_key() || ev.meta_key() || ev.shift_key() {
        return;
    }
    let key = ev.key();
    let Some(current) = ev.current_target() else {
        return;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(cells) = document.query_selector_all("select.matrix-cell") else {
        return;
    };
    let count = cells.length();
    if count == 0 {
        return;
    }
    let current: &wasm_bindgen::JsValue = current.as_ref();
    let here = (0..count).find(|&i| {
        cells.item(i).is_some_and(|n| {
            let n: &wasm_bindgen::JsValue = n.as_ref();
            n == current
        })
    });
    let Some(here) = here else {
        return;
    };
    let to = match key.as_str() {
        "ArrowDown" => (here + 1).min(count - 1),
        "ArrowUp" => here.saturating_sub(1),
        "Home" => 0,
        "End" => count - 1,
        _ => return,
    };
    ev.prevent_default();
    if let Some(el) = cells
        .item(to)
        .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn move_between_cells(_ev: leptos::ev::KeyboardEvent) {}
