pub mod edit;
pub mod fields;
pub mod form;
pub mod list;
pub mod password;
