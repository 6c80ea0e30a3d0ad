//! Arbitrary bytes through the bounded TTLV decoder: it must never panic, and whatever it
//! accepts must re-encode to exactly the same bytes (strict decoding leaves no slack).
#![no_main]

use kmip_ttlv::{Limits, decode, encode, frame_len};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_message_len: 64 * 1024, max_depth: 16, max_items: 4096 };
    let _ = frame_len(data, &limits);
    if let Ok(tree) = decode(data, &limits) {
        let again = encode(&tree).expect("a decoded tree always encodes");
        assert_eq!(again, data, "decode accepted bytes that do not re-encode identically");
    }
});
