//! The API contract: every `#[server]` function, each at a fixed path under
//! `/api/` (documented in `docs/api.md`), JSON in and out.

pub mod accounts;
pub mod audit;
pub mod codec;
pub mod directory;
pub mod invitations;
pub mod license;
pub mod permissions;
pub mod sessions;
pub mod settings;

#[cfg(feature = "ssr")]
pub mod port;
