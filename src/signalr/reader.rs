//! Cuts the bytes of a hub connection into records on the 0x1E separator. A record may span
//! WebSocket messages and one message may hold several; a record longer than the hub's limit
//! is refused as soon as it is known to be too long, so a client cannot make the buffer grow.

use super::records::SEPARATOR;

/// The record was longer than the limit.
#[derive(Debug, PartialEq, Eq)]
pub struct TooLarge;

/// Bytes received and not yet handed out as a record.
#[derive(Debug, Default)]
pub struct RecordReader {
    buffer: Vec<u8>,
    /// The first record starts here; bytes before it were handed out already.
    start: usize,
    /// No separator lies between `start` and here: the next search begins at this point.
    scanned: usize,
    limit: usize,
}

impl RecordReader {
    /// A reader refusing records longer than `limit` bytes (the separator not counted).
    pub fn new(limit: usize) -> RecordReader {
        RecordReader {
            limit,
            ..RecordReader::default()
        }
    }

    /// Takes bytes from the socket; records they complete come out of `next`.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete record without its separator, `None` when more bytes are needed, or
    /// `TooLarge` (after which the reader is empty and the connection should close).
    pub fn next_record(&mut self) -> Option<Result<&[u8], TooLarge>> {
        let unread = &self.buffer[self.scanned..];
        match unread.iter().position(|b| *b == SEPARATOR) {
            Some(at) => {
                let end = self.scanned + at;
                if end - self.start > self.limit {
                    return Some(Err(self.clear()));
                }
                let start = self.start;
                self.start = end + 1;
                self.scanned = end + 1;
                Some(Ok(&self.buffer[start..end]))
            }
            None => {
                self.scanned = self.buffer.len();
                (self.buffer.len() - self.start > self.limit).then(|| Err(self.clear()))
            }
        }
    }

    /// Bytes held for a record not yet ended.
    pub fn pending(&self) -> usize {
        self.buffer.len() - self.start
    }

    fn clear(&mut self) -> TooLarge {
        self.buffer = Vec::new();
        self.start = 0;
        self.scanned = 0;
        TooLarge
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(reader: &mut RecordReader) -> Vec<Result<String, TooLarge>> {
        let mut out = Vec::new();
        while let Some(r) = reader.next_record() {
            let failed = r.is_err();
            out.push(r.map(|b| String::from_utf8_lossy(b).into_owned()));
            if failed {
                break;
            }
        }
        out
    }

    #[test]
    fn records_split_across_and_within_messages() {
        let mut reader = RecordReader::new(100);
        reader.push(b"{\"a\":1}\x1e{\"b\"");
        assert_eq!(drain(&mut reader), vec![Ok("{\"a\":1}".to_string())]);
        assert_eq!(reader.pending(), 4);
        reader.push(b":2}\x1e\x1e{}\x1e");
        assert_eq!(
            drain(&mut reader),
            vec![Ok("{\"b\":2}".into()), Ok(String::new()), Ok("{}".into())]
        );
        assert_eq!(reader.pending(), 0);
    }

    #[test]
    fn a_record_over_the_limit_is_refused_before_its_end_arrives() {
        let mut reader = RecordReader::new(8);
        reader.push(b"12345678\x1e");
        assert_eq!(drain(&mut reader), vec![Ok("12345678".to_string())]);
        reader.push(b"123456789");
        assert_eq!(drain(&mut reader), vec![Err(TooLarge)]);
        assert_eq!(reader.pending(), 0);
        reader.push(b"12345678\x1e");
        assert_eq!(drain(&mut reader), vec![Ok("12345678".to_string())]);
        reader.push(b"1234\x1e123456789\x1e");
        assert_eq!(
            drain(&mut reader),
            vec![Ok("1234".to_string()), Err(TooLarge)]
        );
    }
}
