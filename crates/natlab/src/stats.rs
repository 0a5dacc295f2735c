//! The candidate-pair table a learner knows from chrome://webrtc-internals, read from `rtc`'s
//! W3C statistics (RTCIceCandidatePairStats and the candidates they point at).

use rtc::statistics::report::{RTCStatsReport, RTCStatsReportEntry};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairRow {
    pub local: String,
    pub local_type: String,
    pub remote: String,
    pub remote_type: String,
    /// frozen, waiting, in-progress, succeeded, failed.
    pub state: String,
    pub nominated: bool,
    pub requests_sent: u64,
    pub responses_received: u64,
    pub requests_received: u64,
    pub responses_sent: u64,
    /// Milliseconds; 0 before the first response.
    pub rtt_ms: f64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

fn candidate(report: &RTCStatsReport, id: &str) -> (String, String) {
    match report.get(id) {
        Some(RTCStatsReportEntry::LocalCandidate(c)) | Some(RTCStatsReportEntry::RemoteCandidate(c)) => {
            (format!("{}:{}", c.address.clone().unwrap_or_default(), c.port), c.candidate_type.to_string())
        }
        _ => (id.to_string(), String::new()),
    }
}

pub fn pair_rows(report: &RTCStatsReport) -> Vec<PairRow> {
    report
        .candidate_pairs()
        .map(|p| {
            let (local, local_type) = candidate(report, &p.local_candidate_id);
            let (remote, remote_type) = candidate(report, &p.remote_candidate_id);
            let state = serde_json::to_value(p.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "unknown".into());
            PairRow {
                local,
                local_type,
                remote,
                remote_type,
                state,
                nominated: p.nominated,
                requests_sent: p.requests_sent,
                responses_received: p.responses_received,
                requests_received: p.requests_received,
                responses_sent: p.responses_sent,
                rtt_ms: p.current_round_trip_time * 1000.0,
                bytes_sent: p.bytes_sent,
                bytes_received: p.bytes_received,
            }
        })
        .collect()
}
