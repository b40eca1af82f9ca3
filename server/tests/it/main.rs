//! Integration tests: real Postgres, one fresh database per test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod alerts;
mod audit;
mod cli;
mod directory;
mod fuzz;
mod hostile;
mod http;
mod import;
mod invitations;
mod lambda;
mod lifecycle;
mod listing;
mod mail;
mod people;
mod permissions;
mod probe;
mod rls;
mod seats;
mod sessions;
mod settings;
mod support;
mod text;
mod throttle;
mod usage;
mod versions;
mod zones;
