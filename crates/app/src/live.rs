//! The figures of the current trace while it grows: one metrics accumulator per experiment,
//! fed every event once, in sequence order. The end-of-run metrics come from the same
//! accumulator type (`metrics::compute`), so what the learner watched climb is what the
//! final table shows.

use rtclab_techniques::metrics::{Accumulator, Metrics};
use rtclab_trace::Recorder;

#[derive(Debug, Default)]
pub struct LiveFigures {
    /// The next sequence number to take in.
    next_seq: u64,
    /// In order of each experiment's first event.
    per_experiment: Vec<Accumulator>,
    names: Vec<String>,
}

impl LiveFigures {
    /// Takes in the events recorded since the last call.
    pub fn catch_up(&mut self, recorder: &Recorder) {
        for e in recorder.events_since(self.next_seq) {
            self.next_seq = e.seq + 1;
            let i = match self.names.iter().position(|n| **n == *e.experiment) {
                Some(i) => i,
                None => {
                    self.names.push(e.experiment.to_string());
                    self.per_experiment.push(Accumulator::new(&e.experiment));
                    self.names.len() - 1
                }
            };
            self.per_experiment[i].push(&e);
        }
    }

    /// One entry per experiment seen so far.
    pub fn metrics(&self) -> Vec<Metrics> {
        self.per_experiment.iter().map(Accumulator::metrics).collect()
    }
}
