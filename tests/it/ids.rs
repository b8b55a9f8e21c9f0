//! Snowflake ids: unique across pods under concurrency, increasing per pod, and never repeated
//! when a pod's clock steps back.

use std::collections::HashSet;
use std::sync::Arc;

use imcluster::ids::IdGenerator;

#[test]
fn a_million_ids_from_two_pods_under_concurrency_are_unique() {
    let pods = [
        Arc::new(IdGenerator::new(1)),
        Arc::new(IdGenerator::new(1023)),
    ];
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let ids = pods[t % 2].clone();
            std::thread::spawn(move || {
                let mine: Vec<i64> = (0..131_072).map(|_| ids.next_id()).collect();
                assert!(
                    mine.windows(2).all(|w| w[0] < w[1]),
                    "ids increase as one thread sees them"
                );
                mine
            })
        })
        .collect();
    let mut all = HashSet::new();
    let mut count = 0;
    for t in threads {
        for id in t.join().unwrap() {
            assert!(id > 0);
            all.insert(id);
            count += 1;
        }
    }
    assert!(count >= 1_000_000);
    assert_eq!(all.len(), count, "no id was given twice");
}

#[test]
fn a_clock_step_back_under_load_repeats_nothing() {
    let ids = Arc::new(IdGenerator::new(42));
    let mut seen = HashSet::new();
    let mut last = 0;
    for round in 0..20 {
        if round % 5 == 4 {
            ids.step_clock(-30_000);
        }
        for _ in 0..50_000 {
            let id = ids.next_id();
            assert!(
                id > last,
                "ids on one pod only increase, even after the clock steps back"
            );
            assert_eq!(IdGenerator::node_of(id), 42);
            last = id;
            assert!(seen.insert(id));
        }
    }
}
