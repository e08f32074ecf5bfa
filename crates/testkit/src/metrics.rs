//! A recorder of the `metrics` facade for black-box tests of what a service records:
//! `metrics-util`'s debugging recorder, installed once as the test binary's global recorder.
//!
//! The recorder is global to the process, so a test binary that reads it should hold its
//! metric tests in one binary of their own (or run them one at a time): every test in the
//! binary records into it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// What was recorded since the last [`Recorder::take`].
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Recorded {
    /// Counters that moved, by `name{label=value,...}` (labels in the order recorded), with
    /// how much they moved.
    pub counters: BTreeMap<String, u64>,
    /// Histogram samples, by `name{label=value,...}`.
    pub histograms: BTreeMap<String, Vec<f64>>,
}

/// The installed debugging recorder.
#[derive(Debug)]
pub struct Recorder {
    snapshotter: Snapshotter,
}

/// The process's recorder, installed on the first call (the same one afterwards).
///
/// Panics when another global recorder was installed first.
pub fn install() -> &'static Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder
            .install()
            .expect("no other metrics recorder is installed in this test binary");
        Recorder { snapshotter }
    })
}

impl Recorder {
    /// What was recorded since the previous call (counters that did not move are left out).
    pub fn take(&self) -> Recorded {
        let mut recorded = Recorded::default();
        for (key, _unit, _description, value) in self.snapshotter.snapshot().into_vec() {
            let key = key.key();
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            match value {
                DebugValue::Counter(0) => {}
                DebugValue::Counter(n) => {
                    *recorded.counters.entry(name).or_default() += n;
                }
                DebugValue::Histogram(samples) if samples.is_empty() => {}
                DebugValue::Histogram(samples) => recorded
                    .histograms
                    .entry(name)
                    .or_default()
                    .extend(samples.into_iter().map(|s| s.into_inner())),
                DebugValue::Gauge(_) => {}
            }
        }
        recorded
    }
}
