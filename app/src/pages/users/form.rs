use super::fields::{AccessFields, AccountSignals, IdentityFields};
use super::password::PasswordInputs;
use crate::api::accounts::{
    create_account, duplicate_account, get_account, get_account_form_options,
};
use crate::api::directory::lookup_directory_person;
use crate::auth::Auth;
use crate::components::{CheckboxField, ErrorState, FormState, Loading, SelectField, TextField};
use crate::model::accounts::fields;
use crate::model::duplicate::{DuplicateAccountRequest, DuplicatePart};
use crate::model::{
    AccountDetails, AccountForm, AccountFormOptions, AccountId, ApiError, CreateAccountRequest,
    FormContext, NewPassword,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

/// Create administrator / Create user.
#[component]
pub fn CreateAccountPage() -> impl IntoView {
    let auth = Auth::get();
    // "Duplicate" opens this page with ?from=<account id>.
    let from = use_query_map()
        .with_untracked(|q| q.get("from"))
        .and_then(|s| uuid::Uuid::parse_str(&s).ok())
        .map(AccountId::from_uuid);
    let loaded = LocalResource::new(move || async move {
        let options = get_account_form_options().await?;
        let source = match from {
            Some(id) => Some(get_account(id).await?),
            None => None,
        };
        Ok::<_, ApiError>((options, source))
    });
    move || match loaded.get() {
        None => view! { <Loading what="the account form" /> }.into_any(),
        Some(Err(e)) => {
            let message = auth.message_for(&e);
            view! {
                <h1>"Create account"</h1>
                <ErrorState message=message retry=move || loaded.refetch() />
            }
            .into_any()
        }
        Some(Ok((o, source))) => view! { <CreateAccountForm options=o source=source /> }.into_any(),
    }
}

/// The parts of a source account a copy takes, each with a checkbox.
#[derive(Clone, Copy)]
struct CopyParts {
    source: StoredValue<AccountDetails>,
    chosen: RwSignal<Vec<DuplicatePart>>,
}

impl CopyParts {
    fn has(&self, p: DuplicatePart) -> bool {
        self.chosen.with(|c| c.contains(&p))
    }

    /// Puts a part's fields back to the source's values, or to a new
    /// account's defaults when it is left out.
    fn apply(
        &self,
        p: DuplicatePart,
        on: bool,
        s: &AccountSignals,
        account_type: RwSignal<String>,
    ) {
        let copy = AccountForm::from(&self.source.get_value());
        let base = if on { copy } else { AccountForm::default() };
        match p {
            DuplicatePart::Role => s.role.set(base.role),
            DuplicatePart::AccountType => account_type.set(if on {
                self.source
                    .with_value(|d| d.summary.account_type.as_str().to_owned())
            } else {
                "local".to_owned()
            }),
            DuplicatePart::Groups => s.groups.set(base.groups),
            DuplicatePart::FormPermissions => {}
            DuplicatePart::Clients => s.clients.set(base.clients),
            DuplicatePart::CaseAccess => s.case_access.set(base.case_access),
            DuplicatePart::PasswordFlags => {
                s.must_change_password.set(base.must_change_password);
                s.rotate_password.set(base.rotate_password);
            }
            DuplicatePart::Expiry => s.expires_on.set(base.expires_on),
        }
    }
}

#[component]
fn CreateAccountForm(options: AccountFormOptions, source: Option<AccountDetails>) -> impl IntoView {
    let auth = Auth::get();
    let navigate = use_navigate();
    // "Create administrator" / "Create user" links preselect the role.
    let preset = use_query_map().with_untracked(|q| q.get("role"));
    let initial = match &source {
        // A copy: everything but identity, name, email and password.
        Some(d) => AccountForm {
            first_name: String::new(),
            last_name: String::new(),
            email: String::new(),
            status: "active".to_owned(),
            ..AccountForm::from(d)
        },
        None => AccountForm {
            role: match preset.as_deref() {
                Some("administrator") => "administrator".to_owned(),
                _ => "user".to_owned(),
            },
            ..AccountForm::default()
        },
    };
    let s = AccountSignals::new(initial);
    let username = RwSignal::new(String::new());
    let account_type = RwSignal::new(
        source
            .as_ref()
            .map(|d| d.summary.account_type.as_str().to_owned())
            .unwrap_or_else(|| "local".to_owned()),
    );
    let copy = source.clone().map(|d| CopyParts {
        source: StoredValue::new(d),
        chosen: RwSignal::new(DuplicatePart::ALL.to_vec()),
    });
    let local = Signal::derive(move || account_type.with(|t| t == "local"));
    let directory = Signal::derive(move || account_type.with(|t| t == "directory"));
    let looking_up = RwSignal::new(false);
    // The directory's names belong to the username they were read for:
    // typing another one clears them until it is looked up.
    let looked_up = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let typed = username.get();
        let stale = looked_up.with_untracked(|l| {
            l.as_ref()
                .is_some_and(|l| !l.eq_ignore_ascii_case(typed.trim()))
        });
        if stale && directory.get_untracked() {
            looked_up.set(None);
            for field in [s.first_name, s.last_name, s.email] {
                field.set(String::new());
            }
        }
    });
    let is_admin_role = move || s.role.with(|r| r == "administrator");
    let password = RwSignal::new(String::new());
    let password_confirm = RwSignal::new(String::new());
    // Clockwork's "Clear Password": on by default.
    let invite = RwSignal::new(true);
    let invited = Signal::derive(move || local.get() && invite.get());
    let invitation_hours = options.settings.invitation_hours;
    let input_policy = StoredValue::new(options.settings.password_policy.clone());
    let is_copy = copy.is_some();
    let form = FormState::new();
    let busy = form.busy;
    let policy = options.settings.password_policy.clone();
    let directory_enabled = options.settings.directory_signin_enabled;
    let clients_required = options.clients.iter().any(|c| !c.archived);
    let today = options.today;

    let submit = {
        let policy = policy.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let is_local = local.get_untracked();
            let sets_password = is_local && !invite.get_untracked();
            let mut form_values = s.form();
            if !is_local {
                // Hidden for a directory account: never sent ticked.
                form_values.must_change_password = false;
                form_values.rotate_password = false;
            }
            let request = CreateAccountRequest {
                invite: is_local && invite.get_untracked(),
                username: username.get_untracked(),
                account_type: account_type.get_untracked(),
                form: form_values,
                new_password: NewPassword::new(
                    if sets_password {
                        password.get_untracked()
                    } else {
                        String::new()
                    },
                    if sets_password {
                        password_confirm.get_untracked()
                    } else {
                        String::new()
                    },
                ),
            };
            // The same rules the server enforces, all at once. A directory
            // account's names and email are the server's to read from the
            // directory, so their emptiness is no error here.
            let checked = request
                .validate(FormContext {
                    policy: &policy,
                    today,
                    clients_required,
                })
                .map(|_| ())
                .or_else(|errors| {
                    let left: Vec<ApiError> = errors
                        .into_iter()
                        .filter(|e| {
                            !(request.account_type == "directory"
                                && matches!(
                                    e.field.as_deref(),
                                    Some(fields::FIRST_NAME | fields::LAST_NAME | fields::EMAIL)
                                ))
                        })
                        .collect();
                    if left.is_empty() {
                        Ok(())
                    } else {
                        Err(left)
                    }
                });
            let navigate = navigate.clone();
            let duplicate = copy.map(|c| DuplicateAccountRequest {
                source: c.source.with_value(|d| d.summary.id),
                account: request.clone(),
                parts: c.chosen.get_untracked(),
            });
            form.submit(
                checked,
                move || async move {
                    match duplicate {
                        Some(d) => duplicate_account(d).await,
                        None => create_account(request).await,
                    }
                },
                move |created| {
                    auth.flash.set(Some(if created.invited {
                        format!(
                            "Account {} created. An invitation to choose a password was emailed to {}.",
                            created.username, created.email
                        )
                    } else {
                        format!("Account {} created.", created.username)
                    }));
                    navigate("/accounts", Default::default());
                },
            );
        }
    };

    let source_name = source.as_ref().map(|d| d.summary.username.clone());
    let heading = move || match &source_name {
        Some(n) => format!("Duplicate {n}"),
        None if is_admin_role() => "Create administrator".to_owned(),
        None => "Create user".to_owned(),
    };
    view! {
        <div class="page-head">
            <h1>{heading}</h1>
        </div>
        {copy.map(|c| view! { <CopySummary parts=c s=s account_type=account_type /> })}
        <form class="panel form" on:submit=submit novalidate>
            {move || form.form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <fieldset>
                <legend>"Identity"</legend>
                {if directory_enabled {
                    view! {
                        <SelectField label="Account type" id=fields::ACCOUNT_TYPE value=account_type
                            error=form.error_for(fields::ACCOUNT_TYPE)
                            options=vec![("local", "Local account"), ("directory", "Active Directory domain account")] />
                    }.into_any()
                } else {
                    view! {
                        <p class="hint">"Account type: local account. Active Directory accounts are offered when directory sign-in is switched on in Settings → Directory."</p>
                    }.into_any()
                }}
                <TextField label="Username" id=fields::USERNAME value=username error=form.error_for(fields::USERNAME)
                    hint="Letters, digits and . _ - @. It cannot be changed later. For a directory account: the domain username." />
                {move || directory.get().then(|| view! {
                    <div class="generate">
                        <button type="button" class="secondary small" disabled=move || looking_up.get()
                            on:click=move |_| look_up(username, s, form, looking_up, looked_up)>
                            {move || if looking_up.get() { "Looking up…" } else { "Look up in the directory" }}
                        </button>
                    </div>
                })}
                {move || view! { <IdentityFields s=s form=form read_only=directory.get() /> }}
            </fieldset>
            <fieldset>
                <legend>"Access"</legend>
                <AccessFields s=s form=form options=options.clone() local=local invited=invited />
            </fieldset>
            <Show
                when=move || local.get()
                fallback=|| view! {
                    <p class="hint">"A directory account signs in with its domain password; Rollcall keeps none."</p>
                }
            >
                <fieldset>
                    <legend>"Password"</legend>
                    {if is_copy {
                        view! { <p class="hint">{format!("A copy is invited: they get an email with a link to choose their own password, valid for {invitation_hours} hours.")}</p> }.into_any()
                    } else {
                        view! {
                            <CheckboxField label="Send an invitation instead of setting a password" id=fields::INVITE
                                checked=invite error=form.error_for(fields::INVITE)
                                hint=Signal::derive(move || format!(
                                    "They get an email with a link to choose their own password. The link works once, for {} hours.",
                                    invitation_hours
                                )) />
                        }.into_any()
                    }}
                    <Show when=move || !invite.get()>
                        <PasswordInputs policy=input_policy.get_value() password=password password_confirm=password_confirm
                            username=username email=s.email form=form />
                    </Show>
                </fieldset>
            </Show>
            <div class="actions">
                <A href="/accounts" attr:class="button secondary">"Cancel"</A>
                <button type="submit" class="primary" disabled=move || busy.get()>
                    {move || match (busy.get(), is_admin_role()) {
                        (true, _) => "Creating…",
                        (false, true) => "Create administrator",
                        (false, false) => "Create user",
                    }}
                </button>
            </div>
        </form>
    }
}

/// Fills the read-only names and email of a directory account from the
/// directory; an unknown name is shown beside the username.
fn look_up(
    username: RwSignal<String>,
    s: AccountSignals,
    form: FormState,
    busy: RwSignal<bool>,
    looked_up: RwSignal<Option<String>>,
) {
    let auth = Auth::get();
    let name = username.get_untracked();
    busy.set(true);
    spawn_local(async move {
        match lookup_directory_person(name).await {
            Ok(person) => {
                looked_up.set(Some(person.username.clone()));
                username.set(person.username);
                s.first_name.set(person.first_name);
                s.last_name.set(person.last_name);
                s.email.set(person.email);
                form.errors.set(Vec::new());
            }
            Err(e) => {
                auth.message_for(&e);
                for field in [s.first_name, s.last_name, s.email] {
                    field.set(String::new());
                }
                form.errors.set(vec![e]);
            }
        }
        busy.set(false);
    });
}

/// What a copy takes from its source, one checkbox per part.
#[component]
fn CopySummary(
    parts: CopyParts,
    s: AccountSignals,
    account_type: RwSignal<String>,
) -> impl IntoView {
    let source = parts.source.get_value();
    let describe = move |p: DuplicatePart| -> String {
        let d = &source;
        match p {
            DuplicatePart::Role => d.summary.role.label().to_owned(),
            DuplicatePart::AccountType => d.summary.account_type.label().to_owned(),
            DuplicatePart::Groups => format!("{} group(s)", d.groups.len()),
            DuplicatePart::FormPermissions => "the cells set on the person".to_owned(),
            DuplicatePart::Clients => format!("{} client(s)", d.clients.len()),
            DuplicatePart::CaseAccess => d.case_access.label().to_owned(),
            DuplicatePart::PasswordFlags => match (d.must_change_password, d.rotate_password) {
                (false, false) => "none".to_owned(),
                (true, false) => "change at next login".to_owned(),
                (false, true) => "change at intervals".to_owned(),
                (true, true) => "change at next login and at intervals".to_owned(),
            },
            DuplicatePart::Expiry => d
                .summary
                .expires_on
                .map(crate::model::format_date)
                .unwrap_or_else(|| "never".to_owned()),
        }
    };
    view! {
        <section class="panel" aria-labelledby="copy-heading">
            <h2 id="copy-heading">{format!("Copied from {}", parts.source.with_value(|d| d.summary.username.clone()))}</h2>
            <p class="hint">"Everything below is copied except the username, names, email and password. Untick a part to leave it out; its fields go back to a new account's defaults."</p>
            <fieldset class="choices">
                <legend class="visually-hidden">"Parts to copy"</legend>
                {DuplicatePart::ALL.into_iter().map(|p| {
                    let id = format!("copy-{p:?}").to_lowercase();
                    let label_for = id.clone();
                    let on_change = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        parts.chosen.update(|c| {
                            c.retain(|x| *x != p);
                            if on {
                                c.push(p);
                            }
                        });
                        parts.apply(p, on, &s, account_type);
                    };
                    view! {
                        <label for=label_for>
                            <input type="checkbox" id=id prop:checked=move || parts.has(p) on:change=on_change />
                            {format!("{}: {}", p.label(), describe(p))}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
        </section>
    }
}
