//! Slows password guessing: failed logins are counted per account name and per client
//! address over the last minute, and past the limit every login for that name (or from that
//! address) answers 429 before the password is even checked, whether or not the account
//! exists, so the answer tells nothing about which names are real. Counts are per pod.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The window failures are counted over.
const WINDOW: Duration = Duration::from_secs(60);
/// An address may fail this many times more than one name (a shared office NAT).
const ADDRESS_FACTOR: u32 = 5;
/// Past this many tracked keys, expired ones are swept on the next failure.
const SWEEP_AT: usize = 10_000;

/// The failure counts of this pod.
pub struct LoginThrottle {
    per_name: u32,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// Allows `per_name` failures a minute per account name (0 turns the throttle off).
    pub fn new(per_name: u32) -> LoginThrottle {
        LoginThrottle {
            per_name,
            failures: Mutex::default(),
        }
    }

    fn keys(name: &str, address: &str) -> [(String, u32); 2] {
        [
            (format!("n:{}", name.to_lowercase()), 1),
            (format!("a:{address}"), ADDRESS_FACTOR),
        ]
    }

    /// `Err(wait)` when `name` or `address` failed too often; try again after `wait`.
    pub fn check(&self, name: &str, address: &str) -> Result<(), Duration> {
        if self.per_name == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let failures = self.failures.lock();
        for (key, factor) in Self::keys(name, address) {
            let Some(times) = failures.get(&key) else {
                continue;
            };
            let recent: Vec<&Instant> = times.iter().filter(|t| now - **t < WINDOW).collect();
            if recent.len() as u32 >= self.per_name * factor {
                let oldest = recent.first().map(|t| **t).unwrap_or(now);
                return Err(WINDOW.saturating_sub(now - oldest));
            }
        }
        Ok(())
    }

    /// Counts a failed login.
    pub fn failed(&self, name: &str, address: &str) {
        if self.per_name == 0 {
            return;
        }
        let now = Instant::now();
        let mut failures = self.failures.lock();
        if failures.len() > SWEEP_AT {
            failures.retain(|_, times| times.back().is_some_and(|t| now - *t < WINDOW));
        }
        for (key, factor) in Self::keys(name, address) {
            let times = failures.entry(key).or_default();
            times.push_back(now);
            while times.len() as u32 > self.per_name * factor {
                times.pop_front();
            }
        }
    }

    /// A successful login clears its name's count.
    pub fn succeeded(&self, name: &str) {
        self.failures
            .lock()
            .remove(&format!("n:{}", name.to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_held_after_its_failures_and_freed_by_a_success() {
        let throttle = LoginThrottle::new(3);
        for _ in 0..3 {
            assert!(throttle.check("Alice", "1.2.3.4").is_ok());
            throttle.failed("alice", "1.2.3.4");
        }
        let wait = throttle.check("ALICE", "5.6.7.8").unwrap_err();
        assert!(wait <= WINDOW && wait > Duration::from_secs(50), "{wait:?}");
        assert!(throttle.check("bob", "5.6.7.8").is_ok());
        throttle.succeeded("alice");
        assert!(throttle.check("alice", "5.6.7.8").is_ok());
    }

    #[test]
    fn an_address_is_held_after_many_names_fail() {
        let throttle = LoginThrottle::new(2);
        for i in 0..10 {
            throttle.failed(&format!("user{i}"), "9.9.9.9");
        }
        assert!(throttle.check("someone-new", "9.9.9.9").is_err());
        assert!(throttle.check("someone-new", "8.8.8.8").is_ok());
        assert!(LoginThrottle::new(0).check("x", "y").is_ok());
    }
}
