//! HTTP: the axum router (the same one locally and on Lambda), the mapping
//! from API errors to statuses, cookies, and the static site.

pub mod cookies;
pub mod lambda;
mod meta;
mod router;

pub use router::{declared_server_fns, registered_endpoints, router};
