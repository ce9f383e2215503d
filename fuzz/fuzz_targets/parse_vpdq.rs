//! vPDQ parsing (the reference's text format and pytx's JSON): never panics, and whatever
//! parses writes back to text (and JSON) that parses to the same text (and JSON) again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quell_vpdq::format;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    for parsed in [format::from_text(s), format::from_pytx_json(s)] {
        if let Ok(video) = parsed {
            let text = format::to_text(&video);
            let again = format::from_text(&text).expect("written text parses");
            assert_eq!(format::to_text(&again), text);
            // pytx's JSON carries no frame numbers (reading numbers the frames from 0), so its
            // round trip is checked JSON against JSON.
            let json = format::to_pytx_json(&video);
            let again = format::from_pytx_json(&json).expect("written JSON parses");
            assert_eq!(format::to_pytx_json(&again), json);
        }
    }
});
