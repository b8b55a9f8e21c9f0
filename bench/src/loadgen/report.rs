//! What a run measured: counts and latency histograms (HDR, microseconds), printed as a
//! Markdown table and as JSON.

use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// One latency distribution, in microseconds.
pub struct Latency {
    name: &'static str,
    histogram: Histogram<u64>,
}

impl Latency {
    pub fn new(name: &'static str) -> Latency {
        Latency {
            name,
            histogram: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds"),
        }
    }

    /// Records one sample (clamped into the histogram's range).
    pub fn record(&mut self, micros: u64) {
        let _ = self.histogram.record(micros.clamp(1, 60_000_000));
    }

    pub fn count(&self) -> u64 {
        self.histogram.len()
    }

    fn ms(&self, quantile: f64) -> f64 {
        self.histogram.value_at_quantile(quantile) as f64 / 1000.0
    }

    /// `{name, count, p50, p99, p999, max}` in milliseconds.
    pub fn json(&self) -> Value {
        json!({
            "name": self.name,
            "count": self.count(),
            "p50_ms": self.ms(0.5),
            "p99_ms": self.ms(0.99),
            "p999_ms": self.ms(0.999),
            "max_ms": self.histogram.max() as f64 / 1000.0,
        })
    }

    /// A Markdown table row.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            self.name,
            self.count(),
            self.ms(0.5),
            self.ms(0.99),
            self.ms(0.999),
            self.histogram.max() as f64 / 1000.0
        )
    }
}

/// Prints `figures` (name, value) and the latency table; returns the same as JSON.
pub fn print(scenario: &str, figures: &[(&str, f64)], latencies: &[&Latency]) -> Value {
    println!("## {scenario}\n");
    println!("| figure | value |\n|---|---|");
    for (name, value) in figures {
        println!("| {name} | {value:.1} |");
    }
    if !latencies.is_empty() {
        println!("\n| latency | samples | p50 ms | p99 ms | p999 ms | max ms |\n|---|---|---|---|---|---|");
        for l in latencies {
            println!("{}", l.row());
        }
    }
    println!();
    json!({
        "scenario": scenario,
        "figures": figures.iter().map(|(n, v)| (n.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "latencies": latencies.iter().map(|l| l.json()).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_samples() {
        let mut l = Latency::new("x");
        for us in 1..=1000 {
            l.record(us * 1000);
        }
        let j = l.json();
        assert_eq!(j["count"], 1000);
        assert!((j["p50_ms"].as_f64().unwrap() - 500.0).abs() < 1.0, "{j}");
        assert!((j["p99_ms"].as_f64().unwrap() - 990.0).abs() < 2.0, "{j}");
    }
}
