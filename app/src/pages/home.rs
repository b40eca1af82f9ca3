use crate::auth::Auth;
use leptos::prelude::*;

/// What a signed-in person sees first.
#[component]
pub fn HomePage() -> impl IntoView {
    let auth = Auth::get();
    let session = move || auth.session.get();
    view! {
        <section>
            <h1>{move || session().map(|s| format!("Welcome, {}", s.first_name))}</h1>
            <p>
                {move || {
                    session()
                        .map(|s| {
                            format!(
                                "You are signed in to {} as {} ({}). Your seat is held while this page is open; sign out when you are done so a colleague can use it.",
                                s.tenant_name,
                                s.username,
                                s.role.label(),
                            )
                        })
                }}
            </p>
        </section>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! {
        <section>
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Use the menu above."</p>
        </section>
    }
}

/// Shown instead of an administrator page to other roles (the server refuses
/// their requests as well).
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    let auth = Auth::get();
    move || {
        if auth.is_admin() {
            children().into_any()
        } else {
            view! {
                <section>
                    <h1>"Administrators only"</h1>
                    <p>"Only administrators can see this page. Ask an administrator of your organisation if you need access."</p>
                </section>
            }
            .into_any()
        }
    }
}
