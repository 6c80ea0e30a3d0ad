//! Arbitrary bytes through the typed message layer: no panic, and an accepted request or
//! response re-encodes to bytes that decode to the same message.
#![no_main]

use kmip_messages::Message as _;
use kmip_messages::{RequestMessage, ResponseMessage};
use kmip_ttlv::Limits;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_message_len: 64 * 1024, max_depth: 16, max_items: 4096 };
    if let Ok(m) = RequestMessage::decode(data, &limits) {
        let bytes = m.encode().expect("a decoded request always encodes");
        assert_eq!(RequestMessage::decode(&bytes, &limits).expect("re-decodes"), m);
    }
    if let Ok(m) = ResponseMessage::decode(data, &limits) {
        let bytes = m.encode().expect("a decoded response always encodes");
        assert_eq!(ResponseMessage::decode(&bytes, &limits).expect("re-decodes"), m);
    }
});
