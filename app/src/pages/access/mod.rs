//! Groups, forms, form permissions and API tokens.

pub mod account;
pub mod forms;
pub mod groups;
pub mod matrix;
pub mod tokens;
