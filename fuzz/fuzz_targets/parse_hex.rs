//! Hash parsing: never panics, and whatever parses formats back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quell_hash::{Md5, Pdq, Sha256};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(h) = s.parse::<Pdq>() {
            assert_eq!(h.to_string().parse::<Pdq>().unwrap(), h);
            assert_eq!(h.to_string(), s.to_ascii_lowercase());
        }
        if let Ok(h) = s.parse::<Md5>() {
            assert_eq!(h.to_string(), s.to_ascii_lowercase());
        }
        if let Ok(h) = s.parse::<Sha256>() {
            assert_eq!(h.to_string(), s.to_ascii_lowercase());
        }
    }
});
