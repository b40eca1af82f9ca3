pub mod edit;
pub mod fields;
pub mod form;
pub mod import;
pub mod invitation;
pub mod list;
pub mod password;
pub mod throttle;
