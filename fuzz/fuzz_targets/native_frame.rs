//! The native protocol's frame decoder: any text either decodes or is refused with a detail,
//! and the id a refusal echoes is the frame's own string `id`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match imcluster::protocol::decode(text) {
        Ok(envelope) => assert_eq!(envelope.id, imcluster::protocol::frame_id(text)),
        Err(bad) => {
            assert!(!bad.detail.is_empty());
            assert_eq!(bad.id, imcluster::protocol::frame_id(text));
        }
    }
});
