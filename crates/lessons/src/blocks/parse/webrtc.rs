//! The `webrtc` block: what it runs (`check`), its settings, and a prediction (`predict` +
//! `metric` + `expected` + `tolerance` + `explain`) of one of the run's figures.

use serde::Deserialize;

use super::Cx;
use crate::blocks::webrtc::{WebrtcBlock, WebrtcCheck, WebrtcPrediction, WebrtcSettings};
use crate::problem::unknown_hint;

pub(super) const FIELDS: [&str; 22] = [
    "id",
    "check",
    "caption",
    "peers_ms",
    "server_ms",
    "messages",
    "size_kib",
    "latency_ms",
    "loss_percent",
    "participants",
    "topology",
    "video_kbps",
    "uplink_kbps",
    "thin_uplink_kbps",
    "thin_downlink_kbps",
    "simulcast",
    "nack",
    "predict",
    "metric",
    "tolerance",
    "expected",
    "explain",
];

#[derive(Deserialize)]
struct WebrtcRaw {
    id: Option<String>,
    check: Option<String>,
    caption: Option<String>,
    #[serde(flatten)]
    settings: WebrtcSettings,
    predict: Option<String>,
    metric: Option<String>,
    tolerance: Option<f64>,
    expected: Option<f64>,
    explain: Option<String>,
}

impl Cx<'_, '_, '_> {
    pub(super) fn webrtc(&mut self) -> Option<WebrtcBlock> {
        let raw: WebrtcRaw = self.typed()?;
        let id = self.id(raw.id);
        let check_name = self.text(raw.check, "check")?;
        let Some(check) = WebrtcCheck::parse(&check_name) else {
            let line = self.src.key_line("check");
            self.problem(
                line,
                format!("unknown check `{check_name}`"),
                unknown_hint(&check_name, "checks", &WebrtcCheck::NAMES),
            );
            return None;
        };
        for name in raw.settings.given() {
            if !check.settings().contains(&name) {
                let line = self.src.key_line(name);
                self.problem(
                    line,
                    format!("`{name}` is not a setting of a `{check_name}` run"),
                    format!("its settings: {}", check.settings().join(", ")),
                );
            }
        }
        let question = self.text(raw.predict, "predict");
        let metric = self.text(raw.metric, "metric");
        let expected = self.required(raw.expected, "expected");
        let explain = self.text(raw.explain, "explain");
        if let Some(m) = &metric
            && !check.metrics().contains(&m.as_str())
        {
            let line = self.src.key_line("metric");
            self.problem(
                line,
                format!("`{m}` is not a figure of a `{check_name}` run"),
                unknown_hint(m, "figures", check.metrics()),
            );
        }
        let tolerance = raw.tolerance.unwrap_or(0.0);
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            let line = self.src.key_line("tolerance");
            self.problem(
                line,
                format!("`tolerance` {tolerance} must be 0 or more"),
                "the most a right prediction may be off by",
            );
        }
        let prediction = WebrtcPrediction {
            question: question?,
            metric: metric?,
            tolerance,
            expected: expected?,
            explain: explain?,
        };
        let block = WebrtcBlock { id: id?, check, settings: raw.settings, caption: raw.caption, prediction };
        if let Err(e) = block.run() {
            let line = self.src.line;
            self.problem(
                line,
                format!("the webrtc block's run is refused: {e}"),
                "keep the settings within the lab's ranges",
            );
        }
        Some(block)
    }
}

#[cfg(test)]
mod tests {
    use crate::blocks::parse::tests::parse;
    use crate::blocks::{Block, BlockKind};

    #[test]
    fn webrtc_blocks_predict_a_figure_of_their_run() {
        let body = "id = \"t\"\ncheck = \"table\"\npeers_ms = 10\nserver_ms = 40\npredict = \"How many times?\"\n\
                    metric = \"websocket_over_p2p\"\nexpected = 7\ntolerance = 2\nexplain = \"Seven.\"\n";
        let (b, problems) = parse(BlockKind::Webrtc, body);
        assert!(problems.is_empty(), "{problems:?}");
        let Some(Block::Webrtc(w)) = b else { panic!() };
        assert_eq!(w.prediction.expected, 7.0);
        for (bad, says) in [
            (body.replace("table", "race"), "unknown check `race`"),
            (body.replace("websocket_over_p2p", "reliable_intact"), "not a figure of a `table` run"),
            (body.replace("peers_ms = 10", "size_kib = 10"), "`size_kib` is not a setting of a `table` run"),
            (body.replace("server_ms = 40", "server_ms = 4000"), "refused"),
            (body.replace("expected = 7\n", ""), "no `expected`"),
        ] {
            let (b, problems) = parse(BlockKind::Webrtc, &bad);
            assert!(b.is_none(), "{bad}");
            assert!(problems.iter().any(|p| p.message.contains(says)), "{says}: {problems:?}");
        }
    }
}
