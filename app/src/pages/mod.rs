//! One module per screen.

pub mod audit;
pub mod home;
pub mod license;
pub mod login;
pub mod shell;
pub mod users;
