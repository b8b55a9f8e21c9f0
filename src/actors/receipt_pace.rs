//! The pace of a group's read receipts: at most one `read` frame a second per reader. A read
//! within the second after the last frame is held, and later reads replace it, so members
//! hear the furthest position once the second is over, and never every step to it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// The least time between two frames about one reader.
pub const RECEIPT_INTERVAL: Duration = Duration::from_secs(1);

/// What to do with a read.
#[derive(Debug, PartialEq, Eq)]
pub enum Pace {
    /// Tell the members now.
    Now(i64),
    /// Held: flush the reader after this long.
    Later(Duration),
    /// Merged into a read already held (its flush is scheduled).
    Held,
}

/// Each recent reader's last frame and the read held for later, if any.
#[derive(Default)]
pub struct ReceiptPace {
    readers: HashMap<Uuid, (Instant, Option<i64>)>,
}

impl ReceiptPace {
    /// `reader` read up to `message_id` at `now`.
    pub fn read(&mut self, reader: Uuid, message_id: i64, now: Instant) -> Pace {
        match self.readers.get_mut(&reader) {
            Some((_, Some(held))) => {
                *held = (*held).max(message_id);
                Pace::Held
            }
            Some((last, held @ None)) if now.duration_since(*last) < RECEIPT_INTERVAL => {
                *held = Some(message_id);
                Pace::Later(RECEIPT_INTERVAL - now.duration_since(*last))
            }
            _ => {
                self.readers.insert(reader, (now, None));
                Pace::Now(message_id)
            }
        }
    }

    /// The read held for `reader`, now due, if any.
    pub fn flush(&mut self, reader: Uuid, now: Instant) -> Option<i64> {
        let (last, held) = self.readers.get_mut(&reader)?;
        let due = held.take()?;
        *last = now;
        Some(due)
    }

    /// Forgets readers with nothing held whose last frame is over a second old.
    pub fn forget_idle(&mut self, now: Instant) {
        self.readers.retain(|_, (last, held)| {
            held.is_some() || now.duration_since(*last) < RECEIPT_INTERVAL
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_frame_a_second_with_the_furthest_read() {
        let mut pace = ReceiptPace::default();
        let (reader, t0) = (Uuid::new_v4(), Instant::now());
        let ms = |n| t0 + Duration::from_millis(n);
        assert_eq!(pace.read(reader, 10, t0), Pace::Now(10));
        assert_eq!(
            pace.read(reader, 11, ms(300)),
            Pace::Later(Duration::from_millis(700))
        );
        assert_eq!(pace.read(reader, 13, ms(400)), Pace::Held);
        assert_eq!(pace.read(reader, 12, ms(500)), Pace::Held);
        assert_eq!(pace.flush(reader, ms(1000)), Some(13), "the furthest");
        assert_eq!(pace.flush(reader, ms(1000)), None, "once");
        assert_eq!(
            pace.read(reader, 14, ms(1500)),
            Pace::Later(Duration::from_millis(500)),
            "a second after the flushed frame"
        );
        assert_eq!(pace.flush(reader, ms(2000)), Some(14));
        assert_eq!(pace.read(reader, 15, ms(3001)), Pace::Now(15));
        let other = Uuid::new_v4();
        assert_eq!(pace.read(other, 15, ms(3001)), Pace::Now(15), "per reader");
        pace.forget_idle(ms(5000));
        assert!(pace.readers.is_empty());
    }
}
