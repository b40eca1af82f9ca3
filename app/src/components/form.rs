use crate::auth::Auth;
use crate::model::ApiError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;

/// The errors and busy flag of one form, and its submit flow: check with
/// the shared validator, send, then either hand over the answer or show the
/// server's error beside its field.
#[derive(Clone, Copy)]
pub struct FormState {
    pub errors: RwSignal<Vec<ApiError>>,
    pub busy: RwSignal<bool>,
    /// Taken while the component is built: contexts are not reachable from
    /// the spawned request.
    auth: Auth,
}

impl FormState {
    pub fn new() -> Self {
        Self {
            errors: RwSignal::new(Vec::new()),
            busy: RwSignal::new(false),
            auth: Auth::get(),
        }
    }

    /// The message to show beside `field`.
    pub fn error_for(self, field: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || {
            self.errors
                .with(|all| all.iter().find_map(|e| e.for_field(field)))
        })
    }

    /// A message about the whole form (no field).
    pub fn form_error(self) -> Option<String> {
        self.errors.with(|all| {
            all.iter()
                .find(|e| e.field.is_none())
                .map(|e| e.message.clone())
        })
    }

    pub fn submit<T, Fut>(
        self,
        checked: Result<(), Vec<ApiError>>,
        call: impl FnOnce() -> Fut,
        on_ok: impl FnOnce(T) + 'static,
    ) where
        T: 'static,
        Fut: Future<Output = Result<T, ApiError>> + 'static,
    {
        if self.busy.get_untracked() {
            return;
        }
        if let Err(all) = checked {
            self.errors.set(all);
            super::focus_first_invalid();
            return;
        }
        self.errors.set(Vec::new());
        self.busy.set(true);
        let pending = call();
        spawn_local(async move {
            match pending.await {
                Ok(value) => on_ok(value),
                Err(e) => {
                    // A lost session sends the person back to sign in.
                    self.auth.message_for(&e);
                    self.errors.set(vec![e]);
                    super::focus_first_invalid();
                }
            }
            self.busy.set(false);
        });
    }
}

impl Default for FormState {
    fn default() -> Self {
        Self::new()
    }
}
