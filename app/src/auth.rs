//! Who is signed in, as the whole app sees it.

use crate::model::{ApiError, ErrorCode, SessionEnd, SessionInfo};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Auth {
    pub session: RwSignal<Option<SessionInfo>>,
    /// A one-off message for the next screen ("You have signed out.").
    pub flash: RwSignal<Option<String>>,
    /// True while the router opens a page (an administrator screen's module
    /// may still be on its way).
    pub routing: RwSignal<bool>,
    /// Shown as a full page, instead of the sign-in form, when the session
    /// was ended by someone or something else ([`SessionEnd::needs_notice`]).
    pub notice: RwSignal<Option<EndedNotice>>,
}

/// Why the person was signed out, and who they were (to sign in again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedNotice {
    pub reason: SessionEnd,
    pub message: String,
    pub tenant: String,
    pub username: String,
}

impl Auth {
    pub fn new() -> Self {
        Self {
            session: RwSignal::new(None),
            flash: RwSignal::new(None),
            routing: RwSignal::new(false),
            notice: RwSignal::new(None),
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

    /// A `401 unauthenticated` answer: back to sign-in, through the
    /// full-page notice when the session was ended for a reason the person
    /// should read (their administrator signed them out, their seat went to
    /// someone else …).
    pub fn session_ended(&self, err: &ApiError) {
        match err.reason.filter(|r| r.needs_notice()) {
            Some(reason) => {
                let (tenant, username) = self
                    .session
                    .with_untracked(|s| {
                        s.as_ref()
                            .map(|s| (s.tenant_slug.clone(), s.username.clone()))
                    })
                    .unwrap_or_default();
                self.notice.set(Some(EndedNotice {
                    reason,
                    message: err.message.clone(),
                    tenant,
                    username,
                }));
                self.flash.set(None);
                self.session.set(None);
            }
            None => self.signed_out(err.message.clone()),
        }
    }

    /// An API error seen by a page: when it means the session is gone, sign
    /// out; otherwise hand back the message to show.
    pub fn message_for(&self, err: &ApiError) -> String {
        match err.code {
            ErrorCode::Unauthenticated => self.session_ended(err),
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
