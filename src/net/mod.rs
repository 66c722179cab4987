//! Network: endpoints and URLs, HTTP with verified TLS, retries with back-off.

pub mod abandon;
pub mod http;
pub mod retry;
pub mod url;
