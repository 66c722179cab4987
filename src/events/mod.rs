//! Events: payloads on VWO's wire format and the usage-statistics block.

pub mod dispatcher;
pub mod fork;
pub mod payload;
pub mod usage_stats;
