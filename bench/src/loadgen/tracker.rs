//! Which probe messages this run sent and which came back. A message counts as delivered only
//! when its content carries this run's tag and a number this run sent and has not yet seen
//! delivered: strays, other runs' messages and duplicates are never counted.

use std::collections::HashMap;
use std::time::Instant;

use super::report::Latency;

/// The probes of one run.
pub struct Tracker {
    run: String,
    start: Instant,
    next: u64,
    /// Sent and not yet delivered: number → microseconds since start at send.
    in_flight: HashMap<u64, u64>,
    /// Sent and not yet acknowledged.
    unacked: HashMap<u64, u64>,
    pub sent: u64,
    pub acked: u64,
    pub delivered: u64,
    pub errors: u64,
    /// Microseconds since start of the last delivery counted, and of the last acknowledgement.
    pub last_delivery: u64,
    pub last_ack: u64,
    pub ack: Latency,
    pub deliver: Latency,
    /// Send → deliver since the last `take_window` (a soak reports it minute by minute).
    pub window: Latency,
}

impl Tracker {
    pub fn new(run: &str) -> Tracker {
        Tracker {
            run: run.to_string(),
            start: Instant::now(),
            next: 0,
            in_flight: HashMap::new(),
            unacked: HashMap::new(),
            sent: 0,
            acked: 0,
            delivered: 0,
            errors: 0,
            last_delivery: 0,
            last_ack: 0,
            ack: Latency::new("send → ack"),
            deliver: Latency::new("send → deliver"),
            window: Latency::new("send → deliver, this window"),
        }
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// Microseconds since the tracker started.
    pub fn now_micros(&self) -> u64 {
        self.now()
    }

    /// A new probe: its number and the content to send.
    pub fn probe(&mut self) -> (u64, String) {
        self.next += 1;
        let (n, at) = (self.next, self.now());
        self.in_flight.insert(n, at);
        self.unacked.insert(n, at);
        self.sent += 1;
        (n, format!("lg:{}:{n}", self.run))
    }

    /// The server acknowledged probe `n` (a request id of ours).
    pub fn on_ack(&mut self, n: u64) {
        if let Some(at) = self.unacked.remove(&n) {
            self.acked += 1;
            let now = self.now();
            self.last_ack = now;
            self.ack.record(now - at);
        }
    }

    /// The server refused probe `n`.
    pub fn on_error(&mut self, n: u64) {
        if self.unacked.remove(&n).is_some() {
            self.in_flight.remove(&n);
            self.errors += 1;
        }
    }

    /// The deliveries' latencies since the last call, and a fresh window.
    pub fn take_window(&mut self) -> Latency {
        std::mem::replace(
            &mut self.window,
            Latency::new("send → deliver, this window"),
        )
    }

    /// A `message` frame arrived with `content`; true when it counted.
    pub fn on_message(&mut self, content: &str) -> bool {
        let Some(rest) = content.strip_prefix("lg:") else {
            return false;
        };
        let Some((run, n)) = rest.rsplit_once(':') else {
            return false;
        };
        if run != self.run {
            return false;
        }
        let Some(at) = n.parse().ok().and_then(|n: u64| self.in_flight.remove(&n)) else {
            return false;
        };
        self.delivered += 1;
        let now = self.now();
        self.deliver.record(now - at);
        self.window.record(now - at);
        self.last_delivery = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_runs_own_probes_count_once() {
        let mut t = Tracker::new("r1");
        let (n, content) = t.probe();
        assert!(!t.on_message("hello"), "not a probe");
        assert!(!t.on_message(&format!("lg:r2:{n}")), "another run's");
        assert!(!t.on_message("lg:r1:999"), "a number never sent");
        assert!(t.on_message(&content));
        assert!(!t.on_message(&content), "a duplicate");
        t.on_ack(n);
        t.on_ack(n);
        assert_eq!((t.sent, t.acked, t.delivered), (1, 1, 1));
        assert_eq!((t.ack.count(), t.deliver.count()), (1, 1));
        let (m, other) = t.probe();
        t.on_error(m);
        assert!(!t.on_message(&other), "a refused probe is not delivered");
        assert_eq!(t.errors, 1);
    }
}

/// The probes of a group fan-out run: each is expected by every other member. A delivery
/// counts only for this run's probes and only up to the number of recipients; a probe is
/// complete when its last recipient has it.
pub struct Fanout {
    run: String,
    start: Instant,
    next: u64,
    recipients: u64,
    /// Number → (sent at, recipients still to receive it).
    open: HashMap<u64, (u64, u64)>,
    pub sent: u64,
    pub deliveries: u64,
    pub completed: u64,
    pub last_delivery: u64,
    pub each: Latency,
    pub last: Latency,
}

impl Fanout {
    pub fn new(run: &str, recipients: u64) -> Fanout {
        Fanout {
            run: run.to_string(),
            start: Instant::now(),
            next: 0,
            recipients,
            open: HashMap::new(),
            sent: 0,
            deliveries: 0,
            completed: 0,
            last_delivery: 0,
            each: Latency::new("send → each member"),
            last: Latency::new("send → last member"),
        }
    }

    /// Microseconds since the tracker started.
    pub fn now_micros(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// A new probe: its number and content.
    pub fn probe(&mut self) -> (u64, String) {
        self.next += 1;
        let at = self.now_micros();
        self.open.insert(self.next, (at, self.recipients));
        self.sent += 1;
        (self.next, format!("lg:{}:{}", self.run, self.next))
    }

    /// A member received `content`; true when it counted.
    pub fn on_message(&mut self, content: &str) -> bool {
        let Some((run, n)) = content.strip_prefix("lg:").and_then(|r| r.rsplit_once(':')) else {
            return false;
        };
        if run != self.run {
            return false;
        }
        let Some(n) = n.parse::<u64>().ok() else {
            return false;
        };
        let now = self.now_micros();
        let Some((at, remaining)) = self.open.get_mut(&n) else {
            return false;
        };
        *remaining -= 1;
        let (at, done) = (*at, *remaining == 0);
        self.deliveries += 1;
        self.last_delivery = now;
        self.each.record(now - at);
        if done {
            self.open.remove(&n);
            self.completed += 1;
            self.last.record(now - at);
        }
        true
    }
}

#[cfg(test)]
mod fanout_tests {
    use super::*;

    #[test]
    fn a_probe_counts_once_per_recipient_and_completes_at_the_last() {
        let mut f = Fanout::new("g", 2);
        let (_, content) = f.probe();
        assert!(!f.on_message("lg:other:1"));
        assert!(f.on_message(&content));
        assert_eq!(f.completed, 0);
        assert!(f.on_message(&content));
        assert_eq!((f.deliveries, f.completed), (2, 1));
        assert!(
            !f.on_message(&content),
            "more copies than recipients do not count"
        );
        assert_eq!(f.last.count(), 1);
    }
}
