//! Who is signed in, as the whole app sees it.

use crate::model::{ApiError, ErrorCode, SessionInfo};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Auth {
    pub session: RwSignal<Option<SessionInfo>>,
    /// A one-off message for the next screen ("You have signed out.").
    pub flash: RwSignal<Option<String>>,
    /// True while the router opens a page (an administrator screen's module
    /// may still be on its way).
    pub routing: RwSignal<bool>,
}

impl Auth {
    pub fn new() -> Self {
        Self {
            session: RwSignal::new(None),
            flash: RwSignal::new(None),
            routing: RwSignal::new(false),
        }
    }

    pub fn get() -> Self {
        use_context::<Auth>().unwrap_or_default()
    }

    /// Drops back to the sign-in page with `message`.
    pub fn signed_out(&self, message: impl Into<String>) {
        self.flash.set(Some(message.into()));
        self.session.set(None);
    }

    /// An API error seen by a page: when it means the session is gone, sign
    /// out; otherwise hand back the message to show.
    pub fn message_for(&self, err: &ApiError) -> String {
        match err.code {
            ErrorCode::Unauthenticated => self.signed_out(err.message.clone()),
            // The session may only set a new password: show that page.
            ErrorCode::PasswordChangeRequired => self.session.update(|s| {
                if let Some(s) = s {
                    s.password_change_required = true;
                }
            }),
            _ => {}
        }
        err.message.clone()
    }

    pub fn is_admin(&self) -> bool {
        self.session
            .with(|s| s.as_ref().is_some_and(SessionInfo::is_admin))
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}
