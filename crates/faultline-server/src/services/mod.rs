//! Background services: the digest (single writer) and dictionary training.

pub mod digest;
