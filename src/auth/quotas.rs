//! How often one user may create things (groups, friend requests, join requests) and one
//! client address may register accounts: each creation notifies someone or takes a row, so
//! without a bound one account could flood others' screens or the tables. Token buckets
//! (`governor`), per pod; past a bucket the request answers 429 with how long to wait.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Every this many checks, keys whose buckets are full again are forgotten.
const SWEEP_EVERY: usize = 4096;

/// One keyed bucket (none when its limit is 0), and how many checks it has made.
struct Bucket<K: std::hash::Hash + Eq + Clone>(Option<DefaultKeyedRateLimiter<K>>, AtomicUsize);

impl<K: std::hash::Hash + Eq + Clone> Bucket<K> {
    fn new(quota: Option<Quota>) -> Self {
        Bucket(quota.map(RateLimiter::keyed), AtomicUsize::new(0))
    }

    fn admit(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        if self.1.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The creation, registration and HTTP send limits of this pod.
pub struct Quotas {
    creations: Bucket<(Option<uuid::Uuid>, uuid::Uuid)>,
    registrations: Bucket<String>,
    sends: Bucket<(Option<uuid::Uuid>, uuid::Uuid)>,
}

impl Quotas {
    /// `creations_per_minute` per user, `registrations_per_hour` per address (0 = no limit).
    /// The WebSocket's frame rate (`rate_per_second`, burst `rate_burst`) becomes a user's
    /// send rate over HTTP.
    pub fn new(
        creations_per_minute: u32,
        registrations_per_hour: u32,
        rate_per_second: u32,
        rate_burst: u32,
    ) -> Quotas {
        let sends = NonZeroU32::new(rate_per_second).map(|rate| {
            Quota::per_second(rate).allow_burst(NonZeroU32::new(rate_burst).unwrap_or(rate))
        });
        Quotas {
            creations: Bucket::new(NonZeroU32::new(creations_per_minute).map(Quota::per_minute)),
            registrations: Bucket::new(
                NonZeroU32::new(registrations_per_hour).map(Quota::per_hour),
            ),
            sends: Bucket::new(sends),
        }
    }

    /// Counts one message sent over HTTP by `user`; `Err(wait)` past the rate.
    pub fn send(&self, tenant: Option<uuid::Uuid>, user: uuid::Uuid) -> Result<(), Duration> {
        self.sends.admit(&(tenant, user))
    }

    /// Counts one creation by `user` of `tenant`; `Err(wait)` past the limit.
    pub fn create(&self, tenant: Option<uuid::Uuid>, user: uuid::Uuid) -> Result<(), Duration> {
        self.creations.admit(&(tenant, user))
    }

    /// Counts one registration from `address`; `Err(wait)` past the limit.
    pub fn register(&self, address: &str) -> Result<(), Duration> {
        self.registrations.admit(&address.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_refusals_then_others_unaffected() {
        let q = Quotas::new(3, 2, 0, 0);
        let (me, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        for _ in 0..3 {
            assert!(q.create(None, me).is_ok());
        }
        let wait = q.create(None, me).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(q.create(None, other).is_ok());
        assert!(q.register("1.1.1.1").is_ok() && q.register("1.1.1.1").is_ok());
        assert!(q.register("1.1.1.1").is_err());
        assert!(q.register("2.2.2.2").is_ok());
        let off = Quotas::new(0, 0, 0, 0);
        for _ in 0..1000 {
            assert!(off.create(None, me).is_ok() && off.register("x").is_ok());
        }
    }
}
