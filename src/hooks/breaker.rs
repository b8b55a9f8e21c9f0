//! A circuit breaker for a hook: after `failures` failures in a row it opens, and for `open`
//! the hook is not called (the caller applies its failure rule); then one call is let through,
//! and its outcome closes the breaker or opens it again.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The breaker's state, shared by every call on the pod.
pub struct Breaker {
    failures: u32,
    open: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    in_a_row: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    pub fn new(failures: u32, open: Duration) -> Breaker {
        Breaker {
            failures: failures.max(1),
            open,
            state: Mutex::default(),
        }
    }

    /// Whether a call may be made now.
    pub fn admits(&self) -> bool {
        let mut state = self.state.lock();
        match state.open_until {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                // Half-open: this call decides; the others wait for its outcome meanwhile.
                state.open_until = Some(Instant::now() + self.open);
                true
            }
            None => true,
        }
    }

    /// Whether the breaker is open now.
    pub fn is_open(&self) -> bool {
        self.state.lock().open_until.is_some()
    }

    /// A call succeeded: the breaker closes.
    pub fn succeeded(&self) {
        *self.state.lock() = State::default();
    }

    /// A call failed; true when this failure opened the breaker.
    pub fn failed(&self) -> bool {
        let mut state = self.state.lock();
        state.in_a_row += 1;
        if state.in_a_row >= self.failures {
            let opened = state.open_until.is_none();
            state.open_until = Some(Instant::now() + self.open);
            return opened;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_failures_in_a_row_and_closes_on_a_success() {
        let b = Breaker::new(3, Duration::from_secs(60));
        assert!(!b.failed() && !b.failed());
        b.succeeded();
        assert!(!b.failed() && !b.failed());
        assert!(b.admits());
        assert!(b.failed(), "the third in a row opens it");
        assert!(!b.admits() && b.is_open());
        b.succeeded();
        assert!(b.admits() && !b.is_open());
    }

    #[test]
    fn lets_one_call_through_after_the_open_period() {
        let b = Breaker::new(1, Duration::ZERO);
        assert!(b.failed());
        assert!(b.admits(), "the period is over: one call may try");
    }
}
