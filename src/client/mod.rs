//! The runtime client: options, settings fetch and polling, the API methods, and event
//! delivery on VWO's wire format.

pub mod callbacks;
#[allow(clippy::module_inception)]
mod client;
pub mod delivery;
pub mod flag;
pub mod gateway;
pub mod logger;
pub(crate) mod memory;
pub mod options;

pub use callbacks::{FlushCallback, IntegrationCallback, LogSink, StorageConnector};
pub use client::{ApiError, Client};
pub use flag::Flag;
pub use options::{Callbacks, ClientOptions, InitError};
