//! Snowflake ids for messages and groups. The pod's `node.id` (0–1023) is split into the
//! generator's 5-bit machine and 5-bit node parts, so ids from different pods never collide.
//! Ids only ever increase on one pod: when the wall clock steps back, the generator keeps
//! counting from the last id it gave (a logical clock) until the wall clock catches up.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use snowflake::SnowflakeIdGenerator;

/// Milliseconds are counted from 2024-01-01T00:00:00Z: 41 bits of them last until 2093.
pub const EPOCH_UNIX_MILLIS: u64 = 1_704_067_200_000;

const SEQUENCE_BITS: u32 = 12;
const SEQUENCE_MASK: i64 = (1 << SEQUENCE_BITS) - 1;
const TIME_SHIFT: u32 = 22;

/// The pod's one id generator, shared by every actor and request.
pub struct IdGenerator {
    node_id: u16,
    state: Mutex<State>,
}

struct State {
    generator: SnowflakeIdGenerator,
    /// The generator's idea of the epoch; moved by [`IdGenerator::step_clock`].
    epoch: SystemTime,
    last: i64,
}

impl IdGenerator {
    /// A generator for `node_id` (0–1023; checked by the config).
    pub fn new(node_id: u16) -> Self {
        let state = State {
            generator: Self::generator(node_id, epoch()),
            epoch: epoch(),
            last: 0,
        };
        IdGenerator {
            node_id,
            state: Mutex::new(state),
        }
    }

    fn generator(node_id: u16, epoch: SystemTime) -> SnowflakeIdGenerator {
        SnowflakeIdGenerator::with_epoch(i32::from(node_id >> 5), i32::from(node_id & 31), epoch)
    }

    /// The next id: unique across pods, greater than every id this generator gave before.
    pub fn next_id(&self) -> i64 {
        let mut state = self.state.lock();
        let candidate = if SystemTime::now() > state.epoch {
            state.generator.real_time_generate()
        } else {
            0
        };
        let id = if candidate > state.last {
            candidate
        } else {
            self.successor(state.last)
        };
        state.last = id;
        id
    }

    /// The smallest id after `last` that carries this node's bits: the next sequence number in
    /// the same millisecond, or the first of the next millisecond.
    fn successor(&self, last: i64) -> i64 {
        if last & SEQUENCE_MASK < SEQUENCE_MASK {
            last + 1
        } else {
            (((last >> TIME_SHIFT) + 1) << TIME_SHIFT) | (i64::from(self.node_id) << SEQUENCE_BITS)
        }
    }

    /// The node id encoded in `id`.
    pub fn node_of(id: i64) -> u16 {
        ((id >> SEQUENCE_BITS) & 0x3FF) as u16
    }

    /// The smallest id any pod gives at `time`: "messages from then on" as an id bound.
    pub fn first_id_at(time: chrono::DateTime<chrono::Utc>) -> i64 {
        let millis = (time.timestamp_millis() - EPOCH_UNIX_MILLIS as i64).max(0);
        millis << TIME_SHIFT
    }

    /// The wall-clock time encoded in `id`.
    pub fn time_of(id: i64) -> SystemTime {
        epoch() + Duration::from_millis((id >> TIME_SHIFT) as u64)
    }
}

fn epoch() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(EPOCH_UNIX_MILLIS)
}

impl IdGenerator {
    /// Moves this generator's clock by `delta_millis` (negative = back), as an NTP step would:
    /// for clock-skew drills and tests. Ids keep increasing whatever the step.
    pub fn step_clock(&self, delta_millis: i64) {
        let mut state = self.state.lock();
        let delta = Duration::from_millis(delta_millis.unsigned_abs());
        state.epoch = if delta_millis < 0 {
            state.epoch + delta
        } else {
            state.epoch - delta
        };
        state.generator = Self::generator(self.node_id, state.epoch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_id_is_in_every_id() {
        for node in [0u16, 1, 31, 32, 513, 1023] {
            let ids = IdGenerator::new(node);
            for _ in 0..5000 {
                assert_eq!(IdGenerator::node_of(ids.next_id()), node);
            }
        }
    }

    #[test]
    fn successor_rolls_into_the_next_millisecond_without_touching_the_node_bits() {
        let ids = IdGenerator::new(77);
        let full = (5i64 << TIME_SHIFT) | (77 << SEQUENCE_BITS) | SEQUENCE_MASK;
        let next = ids.successor(full);
        assert_eq!(next >> TIME_SHIFT, 6);
        assert_eq!(IdGenerator::node_of(next), 77);
        assert_eq!(next & SEQUENCE_MASK, 0);
    }

    #[test]
    fn a_clock_step_back_never_repeats_an_id() {
        let ids = IdGenerator::new(9);
        let before: Vec<i64> = (0..10_000).map(|_| ids.next_id()).collect();
        ids.step_clock(-60_000);
        let after: Vec<i64> = (0..10_000).map(|_| ids.next_id()).collect();
        let all: Vec<i64> = before.iter().chain(after.iter()).copied().collect();
        assert!(
            all.windows(2).all(|w| w[0] < w[1]),
            "ids must keep increasing"
        );
        assert!(after.iter().all(|id| IdGenerator::node_of(*id) == 9));
    }

    #[test]
    fn ids_are_near_the_wall_clock() {
        let id = IdGenerator::new(1).next_id();
        let drift = SystemTime::now()
            .duration_since(IdGenerator::time_of(id))
            .unwrap();
        assert!(drift < Duration::from_secs(5), "{drift:?}");
    }
}
