//! Everything behind Rollcall's API: domain services, Postgres, argon2id,
//! sessions and seat licensing, audit, the axum router and the operator CLI.

pub mod backend;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod directory;
pub mod domain;
pub mod error;
pub mod http;
pub mod mail;
pub mod secrets;
pub mod setup;
pub mod zone;
