//! HTTP plumbing shared by every resource.

pub mod etag;
pub mod fallback;
pub mod health;
pub mod json;
pub mod middleware;
pub mod pagination;
