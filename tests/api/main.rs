//! Black-box tests: each starts the real server on a free port with its own database and talks
//! HTTP to it, on SQLite and (with `TEST_DATABASE_URL`) on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod images;

mod adversarial;
mod articles;
mod auth;
mod auth_throttle;
mod authors;
mod cache;
mod cli;
mod corrections;
mod db;
mod documents;
mod errors;
mod feeds;
mod frontends;
mod lean;
mod links;
mod media_store;
mod metrics;
mod migrations;
mod openapi;
mod ownership;
mod previews;
mod sections;
mod shared_limits;
mod sitemaps;
mod slow;
mod structured_data;
mod summaries;
mod tags;
mod users;
mod webhooks;
