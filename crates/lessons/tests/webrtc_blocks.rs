//! Every WebRTC-in-practice block of the shipped course, run for real: the figure a
//! prediction's explanation gives (`expected`) is what the run measures, within the block's
//! tolerance.

use std::path::PathBuf;

use rtclab_lessons::blocks::webrtc::measure;
use rtclab_lessons::load_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_webrtc_block_says_what_its_run_measures() {
    let course = load_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons"));
    let mut blocks = 0;
    for lesson in &course.lessons {
        for b in lesson.webrtc_blocks() {
            blocks += 1;
            let p = &b.prediction;
            let (got, summary) = measure(b.run().unwrap(), &p.metric).await.unwrap();
            println!("{}/{}: {} = {got:.3} ({summary})", lesson.id, b.id, p.metric);
            assert!(
                (got - p.expected).abs() <= p.tolerance,
                "{}/{}: the lesson says {} = {} ± {}, the run measured {got} ({summary})",
                lesson.id,
                b.id,
                p.metric,
                p.expected,
                p.tolerance
            );
        }
    }
    assert!(blocks >= 7, "the WebRTC-in-practice lessons' blocks: {blocks}");
}
