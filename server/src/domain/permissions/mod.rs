//! Groups, the forms catalogue, the permission matrix at three levels and
//! the access API. The resolution rule lives in `app::model::permissions`
//! (shared with the browser); these modules load the cells and apply it.
//! The API tokens that let other systems in are [`super::api_tokens`].

mod access;
mod catalogue;
mod groups;
mod matrix;

pub use catalogue::{seed_existing_tenants, seed_tenant};
pub use groups::check_groups;
pub use matrix::matrix;

use crate::error::Error;
use app::model::ApiError;

fn invalid(field: &str, message: impl Into<String>) -> Error {
    ApiError::validation(field, message).into()
}
