//! Progress bars on stderr while a comparison runs.

use indicatif::{ProgressBar, ProgressStyle};
use rtclab_app::compare::{self, Comparison};
use rtclab_techniques::experiment::Phase;
use rtclab_techniques::{Technique, Workload};
use rtclab_trace::Recorder;

/// Runs a comparison with a progress bar per technique on stderr.
pub async fn run_with_progress(
    techniques: &[Technique],
    workload: &Workload,
    recorder: &Recorder,
    progress: bool,
) -> Result<Comparison, rtclab_techniques::Error> {
    let style = ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} messages {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    let bars: Vec<ProgressBar> = techniques
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let bar = if progress { ProgressBar::new(workload.messages()) } else { ProgressBar::hidden() };
            bar.set_style(style.clone());
            bar.set_prefix(format!("[{}/{}] {t}", i + 1, techniques.len()));
            bar
        })
        .collect();
    let observer = |i: usize, _t: Technique, p: Phase| {
        let Some(bar) = bars.get(i) else { return };
        match p {
            Phase::Connecting { .. } => bar.set_message("connecting clients"),
            Phase::Publishing { done, .. } => {
                bar.set_position(done);
                bar.set_message("publishing");
            }
            Phase::Draining => bar.set_message("waiting for the last deliveries"),
            Phase::Closing => bar.finish_with_message("done"),
        }
    };
    compare::run(techniques, workload, recorder, &observer, None).await
}
