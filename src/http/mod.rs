//! HTTP plumbing shared by every resource.

pub mod base;
pub mod client;
pub mod connections;
pub mod docs;
pub mod etag;
pub mod fallback;
pub mod fields;
pub mod health;
pub mod input;
pub mod json;
pub mod middleware;
pub mod pagination;
pub mod preview;
pub mod ratelimit;
