//! Background services: the digest (single writer), dictionary training and periodic upkeep.

pub mod digest;
pub mod maintenance;
