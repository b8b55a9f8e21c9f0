//! The hub's record reader, handshake and invocation decoding. The first byte picks the record
//! limit and the second how the rest is cut into WebSocket messages. The reader must hand back
//! exactly the bytes it was given (records, separators, the unfinished rest) unless it refused
//! a record as too large, and never hold more than the limit.
#![no_main]

use imcluster::signalr::decode;
use imcluster::signalr::reader::RecordReader;
use imcluster::signalr::records::{kind, SEPARATOR};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [limit, chunk, rest @ ..] = data else {
        return;
    };
    let limit = 1 + *limit as usize * 8;
    let chunk = 1 + *chunk as usize % 64;
    let mut reader = RecordReader::new(limit);
    let mut seen = Vec::new();
    let mut refused = false;
    let mut first = true;
    for piece in rest.chunks(chunk) {
        reader.push(piece);
        while let Some(next) = reader.next_record() {
            let Ok(record) = next else {
                refused = true;
                break;
            };
            assert!(record.len() <= limit);
            seen.extend_from_slice(record);
            seen.push(SEPARATOR);
            if std::mem::take(&mut first) {
                let _ = decode::handshake(record);
            } else if let Some(incoming) = decode::record(record) {
                if incoming.kind == kind::INVOCATION {
                    let _ = decode::invocation(incoming.target, incoming.arguments);
                }
            }
        }
        if refused {
            break;
        }
        assert!(reader.pending() <= limit);
    }
    if !refused {
        assert_eq!(&rest[..seen.len()], &seen[..]);
        assert_eq!(seen.len() + reader.pending(), rest.len());
    }
});
