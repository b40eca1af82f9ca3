//! Integration tests: real Postgres, one fresh database per test.

mod accounts;
mod cli;
mod http;
mod lambda;
mod seats;
mod sessions;
mod support;
