//! The report of a finished call: per participant, per stream, the SFU, the totals, the flows
//! between parties, the half-second series, and the notes computed from them.

use std::time::Duration;

use rtclab_natlab::media::MediaKind;

use super::{BUCKET, Call, Line, Party, name, track_id};
use crate::config::Topology;
use crate::receive::StreamRx;
use crate::report::*;

impl Call {
    pub(super) fn report(mut self, wall: Duration) -> CallReport {
        let n = self.cfg.participants;
        let media_from = self.media_from.unwrap_or(self.now);
        let media = self.now.saturating_sub(media_from).max(Duration::from_millis(1));
        let secs = media.as_secs_f64();
        let kbps = |bytes: u64| bytes as f64 * 8.0 / secs / 1000.0;
        let at_media =
            if self.lines_at_media.is_empty() { vec![Line::default(); n + 1] } else { self.lines_at_media.clone() };
        let delta = |i: usize, l: &Vec<Line>| Line {
            up_bytes: l[i].up_bytes - at_media[i].up_bytes,
            down_bytes: l[i].down_bytes - at_media[i].down_bytes,
            up_drops: l[i].up_drops,
            cpu: l[i].cpu,
        };
        // A stream of which nothing arrived is still a stream, all of it lost.
        let settled: Vec<(usize, MediaKind)> = self.settled.keys().copied().collect();
        for (l, kind) in settled {
            let Party::P(sender) = self.legs[l].owner else { continue };
            let receivers: Vec<usize> = match self.legs[l].remote {
                Party::P(r) => vec![r],
                Party::Sfu => (0..n).filter(|r| *r != sender).collect(),
            };
            for r in receivers {
                self.rx.entry((r, sender, kind)).or_default();
            }
        }
        let mut streams = vec![];
        let mut keys: Vec<_> = self.rx.keys().copied().collect();
        keys.sort_by_key(|k| (k.0, k.1, k.2 as u8));
        for key in keys {
            let (receiver, sender, kind) = key;
            let rx = &self.rx[&key];
            let track = track_id(sender, kind);
            let leg = (0..self.legs.len()).find(|&l| {
                self.legs[l].owner == Party::P(receiver)
                    && match self.cfg.topology {
                        Topology::Mesh => self.legs[l].remote == Party::P(sender),
                        Topology::Sfu => true,
                    }
            });
            // The sending leg of this stream, where the RTT from its receiver reports lives.
            let sending = leg.map(|l| self.legs[l].partner);
            let rtt_ms = sending.and_then(|s| {
                let ssrc = self.legs[s].tracks.iter().find(|t| t.id == track)?.ssrc;
                self.rtt.get(&(s, ssrc)).copied()
            });
            let waits = &rx.keyframe_waits;
            // The stream's first hop: the sender's connection to this receiver, or to the SFU.
            let first_hop = (0..self.legs.len()).find(|&l| {
                self.legs[l].owner == Party::P(sender)
                    && match self.cfg.topology {
                        Topology::Mesh => self.legs[l].remote == Party::P(receiver),
                        Topology::Sfu => true,
                    }
            });
            let sent = first_hop.and_then(|l| self.settled.get(&(l, kind))).copied().unwrap_or(0);
            // With simulcast the receiver's video is whichever layer it was on: only its own
            // sequence numbers say what was sent to it.
            let layered = self.cfg.simulcast && kind == MediaKind::Video;
            let expected = if layered { rx.expected() } else { rx.expected().max(sent) };
            streams.push(StreamReport {
                from: name(sender),
                to: name(receiver),
                kind,
                kbps: kbps(rx.payload_bytes),
                expected,
                received: rx.received(),
                lost: expected.saturating_sub(rx.received()),
                repaired: rx.repaired,
                jitter_ms: Some(rx.jitter * 1000.0),
                rtt_ms,
                nacks: self.nacks.get(&(receiver, sender, kind)).copied().unwrap_or(0),
                plis: self.plis.get(&key).copied().unwrap_or(0),
                layer: self
                    .selectors
                    .get(&(receiver, sender))
                    .filter(|_| self.cfg.simulcast && kind == MediaKind::Video)
                    .map(|s| s.current),
                layer_switches: self.selectors.get(&(receiver, sender)).map_or(0, |s| s.switches),
                keyframe_wait_ms: (!waits.is_empty())
                    .then(|| waits.iter().map(|w| w.as_secs_f64() * 1000.0).sum::<f64>() / waits.len() as f64),
            });
        }
        let participants: Vec<ParticipantReport> = (0..n)
            .map(|i| {
                let l = delta(i, &self.lines);
                let received: Vec<&StreamRx> = self.rx.iter().filter(|(k, _)| k.0 == i).map(|(_, v)| v).collect();
                let lost: u64 = streams.iter().filter(|s| s.to == name(i)).map(|s| s.lost).sum();
                ParticipantReport {
                    id: name(i),
                    uplink_kbps: kbps(l.up_bytes),
                    downlink_kbps: kbps(l.down_bytes),
                    packets_sent: self.people[i].packets_sent,
                    packets_lost: lost,
                    packets_received: received.iter().map(|r| r.received()).sum(),
                    cpu_ms: l.cpu.as_secs_f64() * 1000.0,
                    retransmissions: self.rtp_datagrams[i].saturating_sub(self.people[i].packets_sent),
                    uplink_drops: l.up_drops,
                    connections: self.legs.iter().filter(|x| x.owner == Party::P(i)).count(),
                    uplink_cap_kbps: self.cfg.uplink_of(i),
                }
            })
            .collect();
        let sfu = (self.cfg.topology == Topology::Sfu).then(|| {
            let l = delta(n, &self.lines);
            let payload_in: u64 = self.forwarder.payload_in.values().sum();
            let payload_out: u64 = self.forwarder.payload_out.values().sum();
            // Every payload went out whole: to each receiver all of it, or with simulcast the
            // packets of the layer the receiver was on (never more than came in).
            let simulcast = self.cfg.simulcast;
            let unchanged = self.forwarder.payload_in.iter().all(|(&(s, k, layer), &bytes)| {
                (0..n).filter(|r| *r != s).all(|r| {
                    let out = self.forwarder.payload_out.get(&(s, k, layer, r)).copied().unwrap_or(0);
                    if simulcast && k == MediaKind::Video { out <= bytes } else { out == bytes }
                })
            });
            SfuReport {
                uplink_kbps: kbps(l.up_bytes),
                downlink_kbps: kbps(l.down_bytes),
                cpu_ms: l.cpu.as_secs_f64() * 1000.0,
                payload_in,
                payload_out,
                forwarded_unchanged: unchanged,
                plis_forwarded: self.forwarder.plis_forwarded,
                plis_throttled: self.forwarder.plis_throttled,
            }
        });
        let video: Vec<&StreamReport> = streams.iter().filter(|s| s.kind == MediaKind::Video).collect();
        let expected: u64 = video.iter().map(|s| s.expected).sum();
        let got: u64 = video.iter().map(|s| s.received).sum();
        let totals = Totals {
            uplink_kbps: participants.iter().map(|p| p.uplink_kbps).sum(),
            downlink_kbps: participants.iter().map(|p| p.downlink_kbps).sum(),
            packets_sent: participants.iter().map(|p| p.packets_sent).sum(),
            packets_lost: participants.iter().map(|p| p.packets_lost).sum(),
            cpu_ms: participants.iter().map(|p| p.cpu_ms).sum::<f64>() + sfu.as_ref().map_or(0.0, |s| s.cpu_ms),
            streams: self.legs.iter().map(|l| l.tracks.len()).sum(),
            video_delivered: if expected == 0 { 0.0 } else { got as f64 / expected as f64 },
        };
        let flows = self.flows(secs);
        let media_legs: Vec<u64> = (0..self.legs.len())
            .filter(|&l| matches!(self.legs[l].owner, Party::P(_)) && self.legs[l].connected.is_some())
            .map(|l| self.rtp_bytes[l])
            .collect();
        // The median leg: a leg whose line is overloaded (retransmissions) does not move it.
        let mut media_legs = media_legs;
        media_legs.sort_unstable();
        let stream_kbps = media_legs.get(media_legs.len() / 2).map_or(0.0, |&b| kbps(b));
        let series = self.series();
        let setup = self.legs.iter().filter_map(|l| l.connected).max().unwrap_or(Duration::ZERO);
        let paths: Vec<String> = self
            .legs
            .iter()
            .step_by(2)
            .map(|l| l.peer.ice_type_of_selected().map(|t| t.name().to_string()).unwrap_or_else(|| "failed".into()))
            .collect();
        let failed = self.legs.iter().step_by(2).filter(|l| l.connected.is_none()).count();
        let mut report = CallReport {
            topology: self.cfg.topology,
            simulcast: self.cfg.simulcast,
            participants,
            sfu,
            totals,
            streams,
            flows,
            series,
            events: std::mem::take(&mut self.events),
            events_left_out: self.events_left_out,
            setup_ms: setup.as_secs_f64() * 1000.0,
            failed_connections: failed,
            media_ms: secs * 1000.0,
            paths,
            stream_kbps,
            wall_ms: wall.as_secs_f64() * 1000.0,
            video_kbps: self.cfg.video_kbps,
            notes: vec![],
        };
        report.notes = crate::notes::notes(&self.cfg, &report);
        report
    }

    /// Media bitrate between parties (RTP payload over the media time), for the arrows.
    fn flows(&self, secs: f64) -> Vec<Flow> {
        let mut out = vec![];
        match self.cfg.topology {
            Topology::Mesh => {
                for ((receiver, sender, _), rx) in &self.rx {
                    push_flow(&mut out, name(*sender), name(*receiver), rx.payload_bytes, secs);
                }
            }
            Topology::Sfu => {
                for (&(s, _, _), &bytes) in &self.forwarder.payload_in {
                    push_flow(&mut out, name(s), "SFU".into(), bytes, secs);
                }
                for (&(_, _, _, r), &bytes) in &self.forwarder.payload_out {
                    push_flow(&mut out, "SFU".into(), name(r), bytes, secs);
                }
            }
        }
        out.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
        out
    }

    fn series(&self) -> Vec<SeriesPoint> {
        let secs = BUCKET.as_secs_f64();
        let mut out = vec![];
        for (b, lines) in self.buckets.iter().enumerate() {
            let t_ms = ((b + 1) as f64 * secs * 1000.0) as u32;
            if Duration::from_millis(u64::from(t_ms)) > self.cfg.duration + BUCKET {
                break;
            }
            for (i, l) in lines.iter().enumerate() {
                let id = if i == self.cfg.participants { "SFU".to_string() } else { name(i) };
                if i == self.cfg.participants && self.cfg.topology == Topology::Mesh {
                    continue;
                }
                out.push(SeriesPoint {
                    t_ms,
                    id,
                    uplink_kbps: l.up_bytes as f64 * 8.0 / secs / 1000.0,
                    downlink_kbps: l.down_bytes as f64 * 8.0 / secs / 1000.0,
                    cpu_ms: l.cpu.as_secs_f64() * 1000.0,
                });
            }
        }
        out
    }
}

fn push_flow(out: &mut Vec<Flow>, from: String, to: String, bytes: u64, secs: f64) {
    let kbps = bytes as f64 * 8.0 / secs / 1000.0;
    match out.iter_mut().find(|f| f.from == from && f.to == to) {
        Some(f) => f.kbps += kbps,
        None => out.push(Flow { from, to, kbps }),
    }
}
