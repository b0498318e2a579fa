//! Masthead: a headless content API for newsrooms.

pub mod app;
pub mod articles;
pub mod auth;
pub mod authors;
pub mod background;
pub mod cache;
pub mod captions;
pub mod clock;
pub mod config;
pub mod corrections;
pub mod db;
pub mod error;
pub mod feeds;
pub mod http;
pub mod ids;
pub mod images;
pub mod jsonld;
pub mod metrics;
pub mod openapi;
pub mod router;
pub mod sections;
pub mod seed;
pub mod server;
pub mod site;
pub mod sitemaps;
pub mod tags;
pub mod users;
pub mod validate;
pub mod webhooks;
pub mod work;

pub use config::Config;
pub use server::Application;
