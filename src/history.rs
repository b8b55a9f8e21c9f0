//! The pod's figures over the last 15 minutes, for the admin console's charts: every five
//! seconds (on the clock's five-second marks, so the pods' samples line up) the messages stored
//! per second, connections, online users, writes pending, the mean bus publish latency and the
//! errors answered per second. Each pod keeps its own; in a cluster its heartbeat carries them
//! to the others.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use prometheus::core::Collector;
use serde::{Deserialize, Serialize};

use crate::state::AppState;

/// How often a sample is taken.
pub const INTERVAL: Duration = Duration::from_secs(5);
/// How many are kept: 15 minutes.
pub const KEPT: usize = 180;

/// One sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// Milliseconds since the epoch, on a five-second mark.
    pub t: i64,
    pub messages_per_second: f64,
    pub connections: u64,
    pub online_users: u64,
    pub writes_pending: i64,
    /// The mean time a bus publish took over the interval (0 with none, or no bus).
    pub bus_publish_ms: f64,
    pub errors_per_second: f64,
}

/// The counters a sample is the difference of.
#[derive(Clone, Copy)]
struct Totals {
    at: Instant,
    stored: u64,
    errors: f64,
    bus_seconds: f64,
    bus_count: u64,
}

impl Totals {
    fn now() -> Totals {
        let m = crate::metrics::metrics();
        let stored = ["private", "group"]
            .iter()
            .map(|k| m.messages_stored.with_label_values(&[k]).get())
            .sum();
        let errors = m
            .errors
            .collect()
            .iter()
            .flat_map(|family| family.get_metric())
            .map(|metric| metric.get_counter().get_value())
            .sum();
        Totals {
            at: Instant::now(),
            stored,
            errors,
            bus_seconds: m.bus_publish_seconds.get_sample_sum(),
            bus_count: m.bus_publish_seconds.get_sample_count(),
        }
    }
}

/// The samples of this pod.
#[derive(Default)]
pub struct History {
    ring: Mutex<(VecDeque<Sample>, Option<Totals>)>,
}

impl History {
    /// Takes a sample at `t` (ms since the epoch) of `state`'s pod.
    pub fn sample(&self, state: &AppState, t: i64) {
        let now = Totals::now();
        let supervisor = &state.delivery.supervisor;
        let (connections, _, _, _) = supervisor.counts();
        let mut ring = self.ring.lock();
        let mut sample = Sample {
            t,
            connections: connections as u64,
            online_users: supervisor.online_count() as u64,
            writes_pending: crate::metrics::metrics().writes_pending.get(),
            ..Sample::default()
        };
        if let Some(before) = ring.1 {
            let seconds = now.at.duration_since(before.at).as_secs_f64().max(0.001);
            sample.messages_per_second = now.stored.saturating_sub(before.stored) as f64 / seconds;
            sample.errors_per_second = (now.errors - before.errors).max(0.0) / seconds;
            let published = now.bus_count.saturating_sub(before.bus_count);
            if published > 0 {
                sample.bus_publish_ms =
                    (now.bus_seconds - before.bus_seconds).max(0.0) * 1000.0 / published as f64;
            }
        }
        ring.1 = Some(now);
        ring.0.push_back(sample);
        while ring.0.len() > KEPT {
            ring.0.pop_front();
        }
    }

    /// The samples kept, oldest first.
    pub fn samples(&self) -> Vec<Sample> {
        self.ring.lock().0.iter().copied().collect()
    }
}

/// Samples `state`'s pod on every five-second mark until the node drains.
pub fn start(state: Arc<AppState>) {
    actix_rt::spawn(async move {
        loop {
            let now = chrono::Utc::now().timestamp_millis();
            let step = INTERVAL.as_millis() as i64;
            let mark = (now / step + 1) * step;
            tokio::time::sleep(Duration::from_millis((mark - now) as u64)).await;
            if state.is_draining() {
                return;
            }
            state.history.sample(&state, mark);
        }
    });
}

/// The cluster's total at each mark: sums, and the slowest pod's bus latency.
pub fn total<'a>(pods: impl IntoIterator<Item = &'a [Sample]>) -> Vec<Sample> {
    let mut by_t: std::collections::BTreeMap<i64, Sample> = Default::default();
    for sample in pods.into_iter().flatten() {
        let sum = by_t.entry(sample.t).or_insert(Sample {
            t: sample.t,
            ..Sample::default()
        });
        sum.messages_per_second += sample.messages_per_second;
        sum.connections += sample.connections;
        sum.online_users += sample.online_users;
        sum.writes_pending += sample.writes_pending;
        sum.bus_publish_ms = sum.bus_publish_ms.max(sample.bus_publish_ms);
        sum.errors_per_second += sample.errors_per_second;
    }
    by_t.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_sums_each_mark_and_keeps_the_slowest_bus() {
        let s = |t, mps, conns, bus| Sample {
            t,
            messages_per_second: mps,
            connections: conns,
            bus_publish_ms: bus,
            ..Sample::default()
        };
        let pods = [
            vec![s(5000, 10.0, 3, 1.0), s(10000, 20.0, 4, 2.0)],
            vec![s(10000, 5.0, 1, 7.0)],
        ];
        let total = total(pods.iter().map(Vec::as_slice));
        assert_eq!(
            total,
            vec![s(5000, 10.0, 3, 1.0), s(10000, 25.0, 5, 7.0)],
            "lined up by mark"
        );
    }
}
