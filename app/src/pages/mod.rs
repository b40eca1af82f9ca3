//! One module per screen.

pub mod access;
pub mod audit;
pub mod directory;
pub mod home;
pub mod license;
pub mod links;
pub mod login;
pub mod password;
pub mod settings;
pub mod shell;
pub mod usage;
pub mod users;
