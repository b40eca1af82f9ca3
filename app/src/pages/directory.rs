//! Settings → Directory: the organisation's Active Directory connection, and
//! Test connection.

use crate::api::directory::{get_directory, save_directory, test_directory};
use crate::auth::Auth;
use crate::components::{read_text_file, CheckboxField, ErrorState, FormState, Loading, TextField};
use crate::model::directory::{
    fields, DirectoryCheck, DirectorySettings, DirectoryTestResult, SaveDirectoryRequest,
};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let auth = Auth::get();
    let loaded = LocalResource::new(get_directory);
    view! {
        <div class="page-head"><h1>"Directory"</h1></div>
        <p class="lede">"Let people sign in to Rollcall with their Active Directory username and password. Rollcall never stores their directory passwords: it asks the directory at each sign-in."</p>
        {move || match loaded.get() {
            None => view! { <Loading what="the directory settings" /> }.into_any(),
            Some(Err(e)) => {
                let message = auth.message_for(&e);
                view! { <ErrorState message=message retry=move || loaded.refetch() /> }.into_any()
            }
            Some(Ok(d)) => view! { <DirectoryForm settings=d /> }.into_any(),
        }}
    }
}

/// Every field as typed.
#[derive(Clone, Copy)]
struct DirectorySignals {
    enabled: RwSignal<bool>,
    url: RwSignal<String>,
    allow_plain: RwSignal<bool>,
    ca_pem: RwSignal<String>,
    domain: RwSignal<String>,
    upn_suffix: RwSignal<String>,
    base_dn: RwSignal<String>,
    bind_name: RwSignal<String>,
    bind_password: RwSignal<String>,
    /// The stored connection's version this form is based on.
    version: RwSignal<i64>,
}

impl DirectorySignals {
    fn new(d: &DirectorySettings) -> Self {
        Self {
            enabled: RwSignal::new(d.enabled),
            url: RwSignal::new(d.url.clone()),
            allow_plain: RwSignal::new(d.allow_plain),
            ca_pem: RwSignal::new(d.ca_pem.clone()),
            domain: RwSignal::new(d.domain.clone()),
            upn_suffix: RwSignal::new(d.upn_suffix.clone()),
            base_dn: RwSignal::new(d.base_dn.clone()),
            bind_name: RwSignal::new(d.bind_name.clone()),
            bind_password: RwSignal::new(String::new()),
            version: RwSignal::new(d.version),
        }
    }

    fn request(&self) -> SaveDirectoryRequest {
        SaveDirectoryRequest {
            enabled: self.enabled.get_untracked(),
            url: self.url.get_untracked(),
            allow_plain: self.allow_plain.get_untracked(),
            ca_pem: self.ca_pem.get_untracked(),
            domain: self.domain.get_untracked(),
            upn_suffix: self.upn_suffix.get_untracked(),
            base_dn: self.base_dn.get_untracked(),
            bind_name: self.bind_name.get_untracked(),
            bind_password: self.bind_password.get_untracked().into(),
            version: Some(self.version.get_untracked()),
        }
    }
}

/// The settings a stored look-up password is tied to.
#[derive(Clone, PartialEq, Eq)]
struct SavedTarget {
    url: String,
    allow_plain: bool,
    ca_pem: String,
    bind_name: String,
}

impl SavedTarget {
    fn of(d: &DirectorySignals) -> Self {
        Self {
            url: d
                .url
                .get_untracked()
                .trim()
                .trim_end_matches('/')
                .to_owned(),
            allow_plain: d.allow_plain.get_untracked(),
            ca_pem: d.ca_pem.get_untracked().trim().to_owned(),
            bind_name: d.bind_name.get_untracked().trim().to_owned(),
        }
    }

    fn of_tracked(d: &DirectorySignals) -> Self {
        Self {
            url: d.url.get().trim().trim_end_matches('/').to_owned(),
            allow_plain: d.allow_plain.get(),
            ca_pem: d.ca_pem.get().trim().to_owned(),
            bind_name: d.bind_name.get().trim().to_owned(),
        }
    }
}

#[component]
fn DirectoryForm(settings: DirectorySettings) -> impl IntoView {
    let auth = Auth::get();
    let d = DirectorySignals::new(&settings);
    let password_stored = RwSignal::new(settings.bind_password_set);
    let form = FormState::new();
    let busy = form.busy;
    let testing = RwSignal::new(false);
    let tested = RwSignal::new(None::<DirectoryTestResult>);
    let cert_file: NodeRef<html::Input> = NodeRef::new();
    let cert_error = RwSignal::new(None::<String>);

    // What the stored look-up password belongs to: change any of these
    // and it must be typed again (the server will not send it elsewhere).
    let saved_target = StoredValue::new(SavedTarget::of(&d));
    let run_test = move |request: SaveDirectoryRequest| {
        tested.set(None);
        testing.set(true);
        spawn_local(async move {
            match test_directory(request).await {
                Ok(result) => tested.set(Some(result)),
                Err(e) => {
                    auth.message_for(&e);
                    form.errors.set(vec![e]);
                }
            }
            testing.set(false);
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = d.request();
        let checked = request.validate().map(|_| ());
        form.submit(
            checked,
            move || save_directory(request),
            move |saved: DirectorySettings| {
                d.version.set(saved.version);
                password_stored.set(saved.bind_password_set);
                d.bind_password.set(String::new());
                saved_target.set_value(SavedTarget::of(&d));
                auth.flash.set(Some(if saved.enabled {
                    "Directory settings saved. Directory sign-in is on.".to_owned()
                } else {
                    "Directory settings saved. Directory sign-in is off.".to_owned()
                }));
                // Saved is not working: say at once whether it connects.
                if saved.enabled {
                    run_test(d.request());
                }
            },
        );
    };
    let test = move |_| {
        let request = d.request();
        if let Err(errors) = request.validate() {
            form.errors.set(errors);
            crate::components::focus_first_invalid();
            return;
        }
        form.errors.set(Vec::new());
        run_test(request);
    };
    let load_cert = move |_| {
        let Some(input) = cert_file.get() else {
            return;
        };
        cert_error.set(None);
        spawn_local(async move {
            match read_text_file(
                &input,
                "Choose a certificate file.",
                "Choose the CA certificate in PEM form (.pem or .crt).",
            )
            .await
            {
                Ok(text) => d.ca_pem.set(text),
                Err(m) => cert_error.set(Some(m)),
            }
        });
    };
    let plain_warning = move || {
        (d.allow_plain.get() && d.url.with(|u| u.trim().starts_with("ldap://"))).then(|| view! {
            <p class="notice warn" role="alert">
                "Unencrypted: people's directory passwords will cross the network readable by anyone on the way. Use this only to test, never with real accounts."
            </p>
        })
    };
    let ca_error = form.error_for(fields::CA_PEM);
    let password_hint = move || {
        let changed = saved_target.with_value(|t| *t != SavedTarget::of_tracked(&d));
        match (password_stored.get(), changed) {
            (true, false) => "A password is stored (it is never shown). Leave this empty to keep it.",
            (true, true) => "The address, certificate or account changed: type the password again (the stored one is only ever sent to the server it was saved for).",
            (false, _) => "Stored encrypted; never shown again.",
        }
    };

    view! {
        <form class="panel form" on:submit=submit novalidate>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <fieldset>
                <legend>"Sign-in"</legend>
                <CheckboxField label="Let people sign in with Active Directory" id=fields::ENABLED checked=d.enabled
                    hint=Signal::derive(|| "Also offers “Active Directory domain account” when you create accounts. Switched off, directory accounts cannot sign in.".to_owned()) />
            </fieldset>
            <fieldset>
                <legend>"Server"</legend>
                <TextField label="Server address" id=fields::URL value=d.url error=form.error_for(fields::URL)
                    hint="ldaps://dc1.example.org (TLS, port 636), or ldap://dc1.example.org to use StartTLS on port 389. Add :port for another port." />
                <CheckboxField label="Allow unencrypted LDAP (testing only)" id="allow_plain" checked=d.allow_plain
                    hint=Signal::derive(|| "Only for ldap:// addresses: skips StartTLS.".to_owned()) />
                {plain_warning}
                <div class="field" class:has-error=move || ca_error.with(Option::is_some)>
                    <label for=fields::CA_PEM>"CA certificate (PEM)"</label>
                    <p class="hint" id="ca_pem-hint">"The certificate of the authority that signed the directory's TLS certificate, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----. Leave empty if it is signed by a public authority."</p>
                    <textarea id=fields::CA_PEM name=fields::CA_PEM rows="6" spellcheck="false"
                        aria-invalid=move || if ca_error.with(Option::is_some) { "true" } else { "false" }
                        aria-describedby=move || if ca_error.with(Option::is_some) { "ca_pem-hint ca_pem-error" } else { "ca_pem-hint" }
                        bind:value=d.ca_pem></textarea>
                    {move || ca_error.get().map(|e| view! { <p class="field-error" id="ca_pem-error">{e}</p> })}
                </div>
                <div class="field">
                    <label for="ca_file">"Or upload the CA certificate file"</label>
                    <input type="file" id="ca_file" accept=".pem,.crt,.cer,application/x-pem-file" node_ref=cert_file
                        on:change=load_cert aria-describedby="ca_file-error" />
                    {move || cert_error.get().map(|e| view! { <p class="field-error" id="ca_file-error" role="alert">{e}</p> })}
                </div>
            </fieldset>
            <fieldset>
                <legend>"Usernames"</legend>
                <p class="hint">"People type only their username; Rollcall completes it for the directory."</p>
                <div class="form-grid">
                    <TextField label="UPN suffix" id=fields::UPN_SUFFIX value=d.upn_suffix error=form.error_for(fields::UPN_SUFFIX)
                        required=false hint="jdoe becomes jdoe@example.org. Used when set." />
                    <TextField label="NetBIOS domain" id=fields::DOMAIN value=d.domain error=form.error_for(fields::DOMAIN)
                        required=false hint="jdoe becomes EXAMPLE\\jdoe when there is no UPN suffix." />
                </div>
                <TextField label="Base DN" id=fields::BASE_DN value=d.base_dn error=form.error_for(fields::BASE_DN)
                    hint="Where people are looked up, like DC=example,DC=org." />
            </fieldset>
            <fieldset>
                <legend>"Look-up account"</legend>
                <p class="hint">"A directory account Rollcall uses to find people when you create their accounts. It only needs to read users."</p>
                <div class="form-grid">
                    <TextField label="Look-up account name" id=fields::BIND_NAME value=d.bind_name error=form.error_for(fields::BIND_NAME)
                        required=false hint="EXAMPLE\\svc-rollcall or svc-rollcall@example.org." />
                    <div class="field" class:has-error=move || form.error_for(fields::BIND_PASSWORD).with(Option::is_some)>
                        <label for=fields::BIND_PASSWORD>"Look-up account password"</label>
                        <p class="hint" id="bind_password-hint">{password_hint}</p>
                        <input id=fields::BIND_PASSWORD name=fields::BIND_PASSWORD type="password" autocomplete="new-password"
                            aria-describedby="bind_password-hint bind_password-error" bind:value=d.bind_password />
                        {move || form.error_for(fields::BIND_PASSWORD).get().map(|e| view! { <p class="field-error" id="bind_password-error">{e}</p> })}
                    </div>
                </div>
            </fieldset>
            <div role="status" aria-live="polite">
                {move || testing.get().then(|| view! { <p class="hint">"Testing the connection…"</p> })}
                {move || tested.get().map(|r| {
                    let ok = r.outcome == DirectoryCheck::Ok;
                    view! {
                        <p class="notice" class:warn=!ok>
                            <strong>{if ok { "Test connection succeeded. " } else { "Test connection failed. " }}</strong>
                            {r.message}
                        </p>
                    }
                })}
            </div>
            <div class="actions">
                <A href="/settings" attr:class="button secondary">"Back to settings"</A>
                <button type="button" class="secondary" on:click=test disabled=move || testing.get()>
                    {move || if testing.get() { "Testing…" } else { "Test connection" }}
                </button>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save directory settings" }}
                </button>
            </div>
        </form>
    }
}
