pub mod form;
pub mod list;
