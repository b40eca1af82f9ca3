#![recursion_limit = "256"]
//! Rollcall's browser app and its API contract.
//!
//! - `model`: request/response types and validation shared with the server;
//! - `api`: the `#[server]` functions (and, with `ssr`, the backend port);
//! - `pages`, `components`: the Leptos UI.

pub mod api;
mod app;
pub mod auth;
pub mod components;
pub mod device;
pub mod model;
pub mod pages;

pub use app::App;
