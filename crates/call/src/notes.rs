//! What a call's numbers say, in sentences computed from them (nothing here is stated that
//! the run did not measure).

use crate::config::{CallConfig, Topology};
use crate::report::CallReport;

pub fn notes(cfg: &CallConfig, r: &CallReport) -> Vec<String> {
    let mut out = vec![];
    let n = cfg.participants;
    let s = r.stream_kbps;
    if r.failed_connections > 0 {
        out.push(format!(
            "{} of {} connections never came up (the NATs left no path{}).",
            r.failed_connections,
            r.paths.len(),
            if cfg.turn { "" } else { "; offer a TURN server" }
        ));
    }
    // Lines that overflowed are told apart: their figures are retransmission storms, not the
    // topology's shape.
    let steady: Vec<_> = r.participants.iter().filter(|p| p.uplink_drops == 0).collect();
    if s > 0.0 && !steady.is_empty() {
        let count = steady.len() as f64;
        let mean_up = steady.iter().map(|p| p.uplink_kbps).sum::<f64>() / count;
        let mean_down = steady.iter().map(|p| p.downlink_kbps).sum::<f64>() / count;
        let whose = if steady.len() == n {
            "every participant".to_string()
        } else {
            format!("the {} whose lines kept up", steady.len())
        };
        match cfg.topology {
            Topology::Mesh => out.push(format!(
                "Mesh: every participant sent its audio+video {}. Mean uplink of {whose}: {:.0} kbit/s = {:.2} × one stream ({:.0} kbit/s measured); theory says N−1 = {}.",
                times(n - 1),
                mean_up,
                mean_up / s,
                s,
                n - 1
            )),
            Topology::Sfu => out.push(format!(
                "SFU: every participant sent {} once. Mean uplink of {whose}: {:.0} kbit/s = {:.2} × one stream ({:.0} kbit/s); the SFU sent {:.0} kbit/s, N−1 streams to each.",
                if r.simulcast { "its three layers" } else { "its stream" },
                mean_up,
                mean_up / s,
                s,
                r.sfu.as_ref().map_or(0.0, |x| x.uplink_kbps)
            )),
        }
        // With simulcast a receiver gets one layer per sender, not the three a sender sends.
        if !r.simulcast {
            out.push(format!(
                "Mean downlink of {whose}: {:.0} kbit/s = {:.2} × one stream: N−1 = {} arrive{} in both topologies.",
                mean_down,
                mean_down / s,
                if n == 2 { "1 stream".to_string() } else { format!("{} streams", n - 1) },
                if n == 2 { "s" } else { "" }
            ));
        }
    }
    for p in &r.participants {
        if p.uplink_drops > 0 {
            let wanted = match cfg.topology {
                Topology::Mesh => (n - 1) as f64 * s,
                Topology::Sfu => s,
            };
            out.push(format!(
                "{}'s uplink ({} kbit/s) dropped {} datagrams: its {} needed about {:.0} kbit/s, and every drop was asked for again ({} retransmissions), so it tried to send {:.0} kbit/s. (This stack answers every NACK; browsers also cap their retransmission rate and lower their bitrate.)",
                p.id,
                p.uplink_cap_kbps.map_or("unlimited".to_string(), |k| k.to_string()),
                p.uplink_drops,
                if cfg.topology == Topology::Mesh { format!("{} copies", n - 1) } else { "one stream".into() },
                wanted,
                p.retransmissions,
                p.uplink_kbps
            ));
        }
    }
    if r.simulcast {
        let top = cfg.video_kbps;
        let layers: Vec<String> =
            crate::simulcast::Layer::ALL.iter().map(|l| format!("{} {} kbit/s", l.name(), l.kbps(top))).collect();
        let switches: u32 = r.streams.iter().map(|s| s.layer_switches).sum();
        let below: Vec<String> = r
            .streams
            .iter()
            .filter(|s| s.layer.is_some_and(|l| l != crate::simulcast::Layer::High))
            .map(|s| format!("{} → {} on {}", s.from, s.to, s.layer.map_or("", |l| l.name())))
            .collect();
        out.push(format!(
            "Simulcast: every participant sent its video three times ({}). The SFU switched layers {switches} times; at the end {}.",
            layers.join(", "),
            if below.is_empty() {
                "every receiver got the high layer".to_string()
            } else {
                format!("lower layers went {}", below.join(", "))
            }
        ));
    }
    if let Some(sfu) = &r.sfu {
        if sfu.forwarded_unchanged && !r.simulcast {
            out.push(format!(
                "The SFU forwarded {} payload bytes in as {} out, byte for byte: nothing was decoded or re-encoded; only SSRCs and sequence numbers were rewritten.",
                sfu.payload_in, sfu.payload_out
            ));
        }
        if sfu.plis_forwarded + sfu.plis_throttled > 0 {
            out.push(format!(
                "Keyframe requests: {} forwarded to senders, {} absorbed by the SFU (one per sender per 500 ms).",
                sfu.plis_forwarded, sfu.plis_throttled
            ));
        }
    }
    out.push(format!(
        "{:.2} % of the expected video packets arrived{}.",
        r.totals.video_delivered * 100.0,
        if cfg.nack { " (NACK on: lost packets are asked for again)" } else { " (NACK off: a lost packet stays lost)" }
    ));
    out.push(if r.simulcast {
        "The synthetic sources keep each layer's bitrate whatever the network does (no bandwidth estimation): the SFU adapts each receiver by choosing among the layers, from its receiver reports.".into()
    } else {
        "The synthetic sources keep their bitrate whatever the network does (no bandwidth estimation, no simulcast): a real client would lower its quality, but a mesh still divides its uplink by N−1.".into()
    });
    out
}

fn times(k: usize) -> String {
    match k {
        1 => "once".into(),
        2 => "twice".into(),
        k => format!("{k} times"),
    }
}
