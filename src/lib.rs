//! Masthead: a headless content API for newsrooms.

pub mod app;
pub mod articles;
pub mod auth;
pub mod cache;
pub mod captions;
pub mod config;
pub mod corrections;
pub mod db;
pub mod error;
pub mod http;
pub mod ids;
pub mod images;
pub mod metrics;
pub mod openapi;
pub mod seed;
pub mod users;
pub mod validate;
pub mod work;

pub use app::Application;
pub use config::Config;

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
