//! One module per screen.

pub mod home;
pub mod license;
pub mod login;
pub mod shell;
pub mod users;
