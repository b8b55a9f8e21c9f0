//! Who used the machine's CPU during a run: the generator itself, the pods, PostgreSQL, Redis
//! and the relays, read from `/proc` before and after. The generator shares the machine with
//! what it measures, so its share is reported beside every result.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};

/// Processes grouped by what they are (their `comm`), and how each is named in a report.
const KINDS: &[(&str, &str)] = &[
    ("loadgen", "generator"),
    ("imcluster", "pods"),
    ("postgres", "PostgreSQL"),
    ("redis-server", "Redis"),
    ("node", "Node (Socket.IO relay, hook receiver)"),
    ("bare-relay", "bare relay"),
];

/// CPU ticks used so far by each kind of process, and when they were read.
pub struct Sample {
    at: Instant,
    ticks: BTreeMap<&'static str, u64>,
}

/// Reads every process's user and system ticks now.
pub fn sample() -> Sample {
    let mut ticks = BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Some(stat) = entry
                .file_name()
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
            else {
                continue;
            };
            if let Some((kind, used)) = parse(&stat) {
                *ticks.entry(kind).or_insert(0) += used;
            }
        }
    }
    Sample {
        at: Instant::now(),
        ticks,
    }
}

/// `(kind, utime + stime)` of one `/proc/PID/stat` line, for the kinds above.
fn parse(stat: &str) -> Option<(&'static str, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = &stat[open + 1..close];
    let (_, kind) = KINDS.iter().find(|(c, _)| comm.starts_with(c))?;
    let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
    // After the comm: state is field 3, utime 14, stime 15, and the same of the children
    // it reaped 16 and 17 (1-based, as proc(5) counts): PostgreSQL's backends end with their
    // connections, and their time stays counted in the postmaster's.
    let used: Option<Vec<u64>> = (11..15).map(|i| fields.get(i)?.parse().ok()).collect();
    Some((kind, used?.iter().sum()))
}

impl Sample {
    /// Each kind's share of the machine's cores from `self` to `later`, printed as a table
    /// and returned as JSON (`{kind: {"cpu_seconds", "cores"}}`).
    pub fn report(&self, later: &Sample) -> Value {
        let seconds = later.at.duration_since(self.at).as_secs_f64().max(1e-3);
        let ticks_per_second = 100.0; // USER_HZ on Linux
        println!("| CPU over the run ({seconds:.1} s) | seconds | cores |\n|---|---|---|");
        let mut out = serde_json::Map::new();
        for (kind, after) in &later.ticks {
            let used = after.saturating_sub(self.ticks.get(kind).copied().unwrap_or(0)) as f64
                / ticks_per_second;
            if used == 0.0 {
                continue;
            }
            println!("| {kind} | {used:.1} | {:.2} |", used / seconds);
            out.insert(
                kind.to_string(),
                json!({"cpu_seconds": used, "cores": used / seconds}),
            );
        }
        println!();
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_stat_line() {
        let line = "42 (postgres) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 1 1 1";
        assert_eq!(parse(line), Some(("PostgreSQL", 310)));
        assert_eq!(parse("7 (bash) S 1 2 3 0 -1 0 0 0 0 0 9 9 0"), None);
    }
}
