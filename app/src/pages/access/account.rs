//! An account's Permissions tab: its person-level cells, and beside each
//! the effective value and where it came from.

use super::matrix::MatrixEditor;
use crate::api::accounts::get_account;
use crate::auth::Auth;
use crate::components::{ErrorState, Loading};
use crate::model::permissions::Level;
use crate::model::AccountId;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// The tabs of an account's pages.
#[component]
pub fn AccountTabs(id: AccountId, current: &'static str) -> impl IntoView {
    let tab = move |href: String, label: &'static str| {
        let here = label == current;
        view! {
            <A href=href attr:class=if here { "tab current" } else { "tab" } attr:aria-current=here.then_some("page")>{label}</A>
        }
    };
    view! {
        <nav class="tabs" aria-label="Account">
            {tab(format!("/accounts/{id}"), "Details")}
            {tab(format!("/accounts/{id}/permissions"), "Permissions")}
        </nav>
    }
}

#[component]
pub fn AccountPermissionsPage() -> impl IntoView {
    let auth = Auth::get();
    let params = use_params_map();
    let id = params
        .read_untracked()
        .get("id")
        .and_then(|s| uuid::Uuid::parse_str(&s).ok())
        .map(AccountId::from_uuid);
    let account = LocalResource::new(move || async move {
        match id {
            Some(id) => get_account(id).await,
            None => Err(crate::model::ApiError::not_found("account")),
        }
    });
    move || match account.get() {
        None => view! { <Loading what="the account" /> }.into_any(),
        Some(Err(e)) => {
            let message = auth.message_for(&e);
            view! {
                <h1>"Account"</h1>
                <ErrorState message=message retry=move || account.refetch() />
                <A href="/accounts">"Back to accounts"</A>
            }
            .into_any()
        }
        Some(Ok(a)) => {
            let id = a.summary.id;
            view! {
                <div class="page-head">
                    <h1>{format!("Account {} — permissions", a.summary.username)}</h1>
                </div>
                <AccountTabs id=id current="Permissions" />
                <MatrixEditor level=Level::Account(id) />
            }
            .into_any()
        }
    }
}
