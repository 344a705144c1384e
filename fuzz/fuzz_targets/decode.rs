//! decode_body with every encoding and decode_store_body on arbitrary bytes, under a small
//! limit: must never panic nor return more than the limit.
#![no_main]

use faultline_protocol::{decode_body, decode_store_body};
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    for encoding in [
        None,
        Some("gzip"),
        Some("deflate"),
        Some("br"),
        Some("zstd"),
        Some("gzip, br"),
        Some("x-gzip,identity"),
    ] {
        if let Ok(out) = decode_body(encoding, data, LIMIT) {
            assert!(out.len() <= LIMIT);
        }
    }
    if let Ok(out) = decode_store_body(data, LIMIT) {
        assert!(out.len() <= LIMIT);
    }
});
