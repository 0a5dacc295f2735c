//! What the measured table says, in sentences computed from its numbers (never written
//! ahead of the run).

use crate::compare::{CompareReport, PathKind, PathRow, path_row};

pub fn explain(report: &CompareReport) -> Vec<String> {
    let mut notes = vec![];
    let rows = &report.rows;
    let p50 = |p: PathKind| report.rtt(p).map(|r| r.p50);
    if let (Some(p2p), Some(ws)) = (p50(PathKind::P2p), p50(PathKind::Websocket)) {
        notes.push(format!(
            "Peers {:.0} ms apart, the server {:.0} ms from each: a data-channel echo took {p2p:.1} ms (p50), \
             the WebSocket relay {ws:.1} ms ({:.1}× as long). A relayed echo crosses the server's distance four \
             times (A → server → B → server → A); a direct one crosses the peers' distance twice.",
            report.peers_ms,
            report.server_ms,
            ws / p2p.max(0.001)
        ));
    }
    if let (Some(turn), Some(ws)) = (p50(PathKind::Turn), p50(PathKind::Websocket)) {
        notes.push(format!(
            "Through TURN the data channel took {turn:.1} ms: relayed WebRTC has the WebSocket relay's \
             topology ({ws:.1} ms), so it loses the direct path's advantage."
        ));
    }
    let setup = |p: PathKind| report.row(p).and_then(|r| r.setup_ms);
    if let (Some(ws), Some(p2p)) = (setup(PathKind::Websocket), setup(PathKind::P2p)) {
        notes.push(format!(
            "Setting up: the WebSocket was ready after {ws:.0} ms; the data channel after {p2p:.0} ms \
             (signalling, then ICE, DTLS and SCTP in turn), {:.1}× as long.",
            p2p / ws.max(0.001)
        ));
    }
    let bytes = |p: PathKind| report.row(p).map(|r| r.server_bytes_per_message);
    if let (Some(ws), Some(p2p), Some(turn)) = (bytes(PathKind::Websocket), bytes(PathKind::P2p), bytes(PathKind::Turn))
    {
        notes.push(format!(
            "Server load per echoed message: WebSocket {ws:.0} B, TURN {turn:.0} B, peer to peer {p2p:.0} B — \
             once connected, direct WebRTC leaves the server only the signalling it already did."
        ));
    }
    if let Some(lo) = &report.loopback {
        let p50s: Vec<f64> = lo.rows.iter().filter_map(|r| r.rtt_ms.map(|x| x.p50)).collect();
        if let (Some(min), Some(max)) = (p50s.iter().copied().reduce(f64::min), p50s.iter().copied().reduce(f64::max)) {
            notes.push(format!(
                "On plain loopback every path echoed in {min:.2}–{max:.2} ms (p50): with no distance to cross, \
                 only the stacks' processing and the relay's extra hop remain, so topology barely shows."
            ));
        }
    }
    if report.server_ms > 0.0 {
        notes.push(
            "How the distances are made: the lab holds each UDP datagram and each chunk of TCP bytes for its distance. \
             The data channel's SCTP therefore sees the whole round trip and paces itself by it, while the WebSocket's \
             TCP runs to the lab's delay link on loopback and never sees the distance in its congestion control: \
             with many messages at once that favours the WebSocket rows."
                .into(),
        );
    }
    notes.extend(stack_waits(report));
    for r in rows.iter().chain(report.loopback.iter().flat_map(|l| l.rows.iter())) {
        if let Some(p) = &r.problem {
            notes.push(format!("{}: {p}", r.path.name()));
        }
    }
    notes
}

fn phase(row: &PathRow, prefix: &str) -> Option<f64> {
    row.phases.iter().find(|p| p.name.starts_with(prefix)).map(|p| p.at_ms)
}

/// Setup time that is the WebRTC stack's timers, not the network: where the run shows it.
fn stack_waits(report: &CompareReport) -> Vec<String> {
    let mut notes = vec![];
    let rows = report.loopback.as_ref().map_or(&report.rows, |l| &l.rows);
    let find = |p: PathKind| path_row(rows, p);
    if let Some(row) = find(PathKind::P2p)
        && let (Some(nominated), Some(dtls)) = (phase(row, "pair nominated"), phase(row, "DTLS handshake done"))
        && dtls - nominated > 100.0
    {
        notes.push(format!(
            "Of the data channel's setup, {:.0} ms passed between the nomination and the end of the DTLS \
             handshake even where the network took no time: this stack (rtc) moves its DTLS \
             handshake on with the ICE agent's check timer, which ticks every 200 ms.",
            dtls - nominated
        ));
    }
    if let Some(row) = find(PathKind::Turn)
        && let (Some(answer), Some(nominated)) = (phase(row, "answer received"), phase(row, "pair nominated"))
        && nominated - answer > 1000.0
    {
        notes.push(format!(
            "Through TURN, {:.1} s passed between the answer and the nomination: the ICE agent waits 2 s \
             before it accepts a relayed pair (its relay acceptance wait), hoping a direct one succeeds.",
            (nominated - answer) / 1000.0
        ));
    }
    notes
}
