//! Tenant API tokens for other systems (the access API).

use crate::api::permissions::{create_api_token, list_api_tokens, revoke_api_token};
use crate::auth::Auth;
use crate::components::{
    format_time, ConfirmDialog, DataTable, ErrorState, FormState, Loading, TextField,
};
use crate::model::permissions::{parse_name, ApiToken};
use crate::model::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn ApiTokensPanel() -> impl IntoView {
    let auth = Auth::get();
    let tokens = LocalResource::new(list_api_tokens);
    let name = RwSignal::new(String::new());
    let form = FormState::new();
    let busy = form.busy;
    let secret = RwSignal::new(None::<(String, String)>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = name.get_untracked();
        let checked = parse_name("token", &n)
            .map(|_| ())
            .map_err(|m| vec![ApiError::validation("token_name", m)]);
        form.submit(
            checked,
            move || create_api_token(n),
            move |created| {
                name.set(String::new());
                secret.set(Some((created.token.name, created.secret.into_exposed())));
                tokens.refetch();
            },
        );
    };
    view! {
        <section class="panel" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="hint">"Other systems ask “may this person see this column?” at POST /api/access/check with Authorization: Bearer <token>. A token sees only this organisation."</p>
            <form on:submit=create novalidate>
                {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <div class="inline-form">
                    <TextField label="Token name" id="token_name" value=name error=form.error_for("token_name")
                        hint="What uses it, e.g. “Timesheet app”." />
                    <button type="submit" class="secondary" disabled=move || busy.get()>"Create token"</button>
                </div>
            </form>
            {move || secret.get().map(|(n, s)| view! {
                <div class="notice" role="status">
                    <div>
                        <p>{format!("Token “{n}” created. Copy it now: it is not shown again.")}</p>
                        <label for="new-token">"New token"</label>
                        <input id="new-token" readonly value=s class="mono" />
                    </div>
                </div>
            })}
            {move || match tokens.get() {
                None => view! { <Loading what="API tokens" /> }.into_any(),
                Some(Err(e)) => {
                    let message = auth.message_for(&e);
                    view! { <ErrorState message=message retry=move || tokens.refetch() /> }.into_any()
                }
                Some(Ok(list)) if list.is_empty() => view! { <p class="state empty">"No API tokens."</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <DataTable caption="API tokens" headers=&["Name", "Created", "By", "Last used", "Status"] actions_column=true>
                        {list.into_iter().map(|t| view! { <TokenRow token=t on_change=move || tokens.refetch() /> }).collect_view()}
                    </DataTable>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn TokenRow(token: ApiToken, on_change: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let auth = Auth::get();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let id = token.id;
    let confirm = move || {
        busy.set(true);
        spawn_local(async move {
            match revoke_api_token(id).await {
                Ok(()) => {
                    open.set(false);
                    on_change();
                }
                Err(e) => error.set(Some(auth.message_for(&e))),
            }
            busy.set(false);
        });
    };
    view! {
        <tr>
            <td>{token.name.clone()}</td>
            <td>{format_time(token.created_at)}</td>
            <td>{token.created_by.clone().unwrap_or_default()}</td>
            <td>{token.last_used_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
            <td>{if token.revoked { "Revoked" } else { "Active" }}</td>
            <td class="actions-cell">
                {(!token.revoked).then(|| view! {
                    <button type="button" class="danger small" aria-label=format!("Revoke {}", token.name)
                        on:click=move |_| { error.set(None); open.set(true); }>"Revoke"</button>
                })}
            </td>
        </tr>
        <ConfirmDialog
            open=open
            title=format!("Revoke the token {}?", token.name)
            message="Systems using it are refused at once. This cannot be undone.".to_owned()
            confirm_label="Revoke token".to_owned()
            busy=busy
            error=error
            on_confirm=confirm
        />
    }
}
