//! A token bucket per connection: `limits.rate_per_second` frames on average, bursts up to
//! `limits.rate_burst`. Every protocol adapter's session keeps one.

use std::time::Instant;

use crate::config::Limits;

/// The bucket.
pub struct RateLimit {
    per_second: f64,
    burst: f64,
    tokens: f64,
    refilled: Instant,
}

impl RateLimit {
    /// A full bucket for `limits`.
    pub fn new(limits: &Limits) -> RateLimit {
        let burst = f64::from(limits.rate_burst);
        RateLimit {
            per_second: f64::from(limits.rate_per_second),
            burst,
            tokens: burst,
            refilled: Instant::now(),
        }
    }

    /// Takes one token; false when the client is over its rate.
    pub fn admit(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.refilled).as_secs_f64() * self.per_second;
        self.tokens = (self.tokens + refill).min(self.burst);
        self.refilled = now;
        let admitted = self.tokens >= 1.0;
        if admitted {
            self.tokens -= 1.0;
        }
        admitted
    }
}
