//! Bulk import from CSV: choose a file, preview every row with its errors,
//! then import the valid rows in one transaction with progress shown.

use crate::api::accounts::{commit_import, preview_import, stage_import};
use crate::auth::Auth;
use crate::components::{download_csv, read_text_file};
use crate::model::import::{
    chunks, template, ImportPreview, PreviewRow, IMPORT_CHUNK, IMPORT_COLUMNS, IMPORT_MAX_ROWS,
};
use crate::model::ApiError;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[derive(Clone, PartialEq)]
enum Stage {
    Choosing,
    Previewed(ImportPreview),
    Importing { done: u32, total: u32 },
}

#[component]
pub fn ImportAccountsPage() -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    let file_input: NodeRef<html::Input> = NodeRef::new();
    let text = RwSignal::new(None::<String>);
    let stage = RwSignal::new(Stage::Choosing);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let preview = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(input) = file_input.get() else {
            return;
        };
        busy.set(true);
        spawn_local(async move {
            match read_text_file(
                &input,
                "Choose a CSV file first.",
                "Save it as CSV (UTF-8).",
            )
            .await
            {
                Err(message) => error.set(Some(message)),
                Ok(content) => match preview_import(content.clone()).await {
                    Ok(p) => {
                        text.set(Some(content));
                        stage.set(Stage::Previewed(p));
                    }
                    Err(e) => error.set(Some(auth.message_for(&e))),
                },
            }
            busy.set(false);
        });
    };

    let confirm = Callback::new(move |()| {
        let (Some(content), Stage::Previewed(p)) = (text.get_untracked(), stage.get_untracked())
        else {
            return;
        };
        let navigate = navigate.clone();
        error.set(None);
        let parts = match chunks(&content, IMPORT_CHUNK) {
            Ok(parts) => parts,
            Err(e) => {
                error.set(Some(e.message));
                return;
            }
        };
        let total = p.valid;
        stage.set(Stage::Importing { done: 0, total });
        spawn_local(async move {
            let outcome: Result<u32, ApiError> = async {
                let mut batch = None;
                for mut part in parts {
                    part.batch = batch;
                    let staged = stage_import(part).await?;
                    batch = Some(staged.batch);
                    stage.set(Stage::Importing {
                        done: staged.staged.min(total),
                        total,
                    });
                }
                let batch =
                    batch.ok_or_else(|| ApiError::validation("file", "The file has no rows."))?;
                Ok(commit_import(batch).await?.created)
            }
            .await;
            match outcome {
                Ok(created) => {
                    auth.flash.set(Some(format!(
                        "{created} account{} imported.",
                        if created == 1 { "" } else { "s" }
                    )));
                    navigate("/accounts", Default::default());
                }
                Err(e) => {
                    error.set(Some(auth.message_for(&e)));
                    stage.set(Stage::Previewed(p));
                }
            }
        });
    });
    let download_template = move |_| download_csv("rollcall-import-template.csv", &template());

    view! {
        <div class="page-head"><h1>"Import accounts"</h1></div>
        <p class="lede">
            {format!(
                "Upload a CSV file with a header row; up to {IMPORT_MAX_ROWS} accounts. Nothing is written until you confirm the preview, and then every valid row is imported together or none is."
            )}
        </p>
        <form class="panel form" on:submit=preview novalidate>
            <div class="field" class:has-error=move || error.with(Option::is_some)>
                <label for="import-file">"CSV file"</label>
                <p class="hint" id="import-file-hint">
                    {format!(
                        "Columns: {}. The first four are required; the others take the form's defaults. Clients and groups are names separated by “;” (write “\\;” for a semicolon inside a name). Columns are separated by commas (or all by semicolons, or all by tabs). An active local account without a password gets an email inviting its owner to choose one. An account_type (or type) of ad makes an Active Directory account: leave its names, email and password empty, they come from the directory. A file exported from the accounts list imports as it is (its created_at column is ignored).",
                        IMPORT_COLUMNS.join(", ")
                    )}
                </p>
                <input type="file" id="import-file" accept=".csv,text/csv" node_ref=file_input
                    aria-describedby="import-file-hint import-error"
                    on:change=move |_| { stage.set(Stage::Choosing); error.set(None); } />
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" id="import-error" role="alert">{e}</p> })}
            <div class="actions">
                <button type="button" class="secondary" on:click=download_template>"Download template"</button>
                <A href="/accounts" attr:class="button secondary">"Cancel"</A>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Checking…" } else { "Preview" }}
                </button>
            </div>
        </form>
        {move || match stage.get() {
            Stage::Choosing => ().into_any(),
            Stage::Importing { done, total } => view! {
                <section class="panel" aria-labelledby="progress-heading">
                    <h2 id="progress-heading">"Importing"</h2>
                    <label for="import-progress">{format!("Prepared {done} of {total} accounts")}</label>
                    <progress id="import-progress" max=total value=done></progress>
                    <p class="hint" role="status">
                        {if done >= total { "Creating the accounts…".to_owned() } else { format!("Preparing accounts: {done} of {total}") }}
                    </p>
                </section>
            }.into_any(),
            Stage::Previewed(p) => view! { <PreviewTable preview=p on_confirm=confirm /> }.into_any(),
        }}
    }
}

#[component]
fn PreviewTable(preview: ImportPreview, on_confirm: Callback<()>) -> impl IntoView {
    let valid = preview.valid;
    let summary = format!(
        "{} account{} ready to import; {} row{} with errors will be skipped.",
        valid,
        if valid == 1 { "" } else { "s" },
        preview.invalid,
        if preview.invalid == 1 { "" } else { "s" },
    );
    let row = |r: PreviewRow| {
        let ok = r.errors.is_empty();
        view! {
            <tr class:row-error=!ok>
                <td>{r.line}</td>
                <td>{r.username}</td>
                <td>{r.name}</td>
                <td>{r.email}</td>
                <td>{r.role}</td>
                <td>
                    {if ok {
                        view! {
                            <span>"Ready"</span>
                            {r.note.map(|n| view! { <p class="hint">{n}</p> })}
                        }.into_any()
                    } else {
                        view! { <ul class="errors">{r.errors.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ul> }.into_any()
                    }}
                </td>
            </tr>
        }
    };
    view! {
        <section class="panel" aria-labelledby="preview-heading">
            <div class="section-head">
                <h2 id="preview-heading">"Preview"</h2>
                <button type="button" class="primary" disabled=valid == 0 on:click=move |_| on_confirm.run(())>
                    {format!("Import {valid} account{}", if valid == 1 { "" } else { "s" })}
                </button>
            </div>
            <p role="status">{summary}</p>
            {(!preview.notices.is_empty()).then(|| view! {
                <ul class="hint" aria-label="About the file">
                    {preview.notices.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
                </ul>
            })}
            <div class="table-wrap">
                <table>
                    <caption class="visually-hidden">"Rows of the file"</caption>
                    <thead>
                        <tr>
                            {["Line", "Username", "Name", "Email", "Role", "Result"].map(|h| view! { <th scope="col">{h}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{preview.rows.into_iter().map(row).collect_view()}</tbody>
                </table>
            </div>
        </section>
    }
}
