//! What a call does with the RTCP that reaches a party: a PLI asks a sender for a keyframe (the
//! SFU passes one on, throttled, for the layer the receiver gets); NACKs are counted and shown;
//! report blocks give loss, jitter and the round trip, and with simulcast steer a receiver's
//! layer.

use std::time::Duration;

use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtclab_natlab::media::MediaKind;

use super::{Call, Party, layer_track_id, name, parse_track};
use crate::simulcast::Layer;

impl Call {
    pub(super) fn on_rtcp(&mut self, leg: usize, track: &str, pkt: &dyn rtc::rtcp::Packet) {
        let now = self.now;
        let owner = self.legs[leg].owner;
        let remote = self.legs[leg].remote;
        let (from, to) = (Self::party_name(remote), Self::party_name(owner));
        let any = pkt.as_any();
        if any.downcast_ref::<PictureLossIndication>().is_some() {
            let Some((sender, _, layer)) = parse_track(track) else { return };
            match owner {
                Party::P(p) => {
                    if let Some((_, source)) = self.people[p].video.iter_mut().find(|(l, _)| *l == layer) {
                        source.request_keyframe();
                    }
                    self.event("pli", from, to, format!("PLI for {track}: the next frame will be a keyframe"));
                }
                Party::Sfu => {
                    // The keyframe the receiver needs is of the layer it gets.
                    let layer = match remote {
                        Party::P(r) if self.cfg.simulcast => {
                            self.selectors.get(&(r, sender)).map_or(Layer::High, |s| s.current)
                        }
                        _ => Layer::High,
                    };
                    let track = &layer_track_id(sender, layer);
                    if self.forwarder.keyframe_request(now, sender, layer) {
                        self.ask_keyframe(sender, layer);
                        self.event(
                            "pli",
                            from,
                            "SFU".into(),
                            format!("PLI for {track}, forwarded to {}", name(sender)),
                        );
                    } else {
                        self.event(
                            "pli",
                            from,
                            "SFU".into(),
                            format!("PLI for {track} absorbed (one went to the sender < 500 ms ago)"),
                        );
                    }
                }
            }
        } else if let Some(nack) = any.downcast_ref::<TransportLayerNack>() {
            let seqs: Vec<u16> = nack.nacks.iter().flat_map(|n| n.packet_list()).collect();
            if let Some((sender, kind, _)) = parse_track(track) {
                let receiver = self.party_index(remote);
                *self.nacks.entry((receiver, sender, kind)).or_default() += 1;
            }
            let shown: Vec<String> = seqs.iter().take(6).map(|s| s.to_string()).collect();
            let more = if seqs.len() > 6 { format!(" and {} more", seqs.len() - 6) } else { String::new() };
            self.event(
                "nack",
                from,
                to,
                format!("NACK for {track}: seq {}{more}; the sender retransmits from its buffer", shown.join(", ")),
            );
        } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
            self.report_blocks(leg, &rr.reports);
        } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
            if let Some(sent) = self.sr_arriving.remove(&(leg, sr.ssrc)) {
                self.lsr_sent.insert((sr.ssrc, (sr.ntp_time >> 16) as u32), sent);
            }
            let summary = format!("SR for {track}: {} packets, {} bytes sent so far", sr.packet_count, sr.octet_count);
            self.event("rtcp", from, to, summary);
            self.report_blocks(leg, &sr.reports);
        }
    }

    /// The SFU asks `sender` for a keyframe of `layer` (a PLI on its connection to the sender).
    fn ask_keyframe(&mut self, sender: usize, layer: Layer) {
        let now = self.now;
        let Some(up) =
            (0..self.legs.len()).find(|&l| self.legs[l].owner == Party::Sfu && self.legs[l].remote == Party::P(sender))
        else {
            return;
        };
        let track = layer_track_id(sender, layer);
        let media_ssrc = self.legs[up].peer.remote_ssrc(&track).unwrap_or(0);
        let pli: Box<dyn rtc::rtcp::Packet> = Box::new(PictureLossIndication { sender_ssrc: 0, media_ssrc });
        let _ = self.timed(up, |peer| peer.write_feedback(now, &track, vec![pli]));
    }

    /// Simulcast: a receiver's report on the video the SFU forwards it from `sender` may move
    /// it to another layer (at that layer's next keyframe, which the SFU asks for).
    fn steer_layer(&mut self, receiver: usize, sender: usize, fraction_lost: f64) {
        let selector = self.selectors.entry((receiver, sender)).or_default();
        let from = selector.current;
        let Some(to) = selector.on_report(fraction_lost) else { return };
        self.ask_keyframe(sender, to);
        let why = if to < from {
            format!("{:.0} % of it lost since the last report", fraction_lost * 100.0)
        } else if to > from {
            "its reports clean for a while".to_string()
        } else {
            "still waiting for the keyframe".to_string()
        };
        let summary = format!(
            "{} gets {}'s {} layer, {why}: asking {} for a {} keyframe to switch to",
            name(receiver),
            name(sender),
            from.name(),
            name(sender),
            to.name()
        );
        self.event("layer", "SFU".into(), name(sender), summary);
    }

    /// Report blocks about what this leg sends: loss and jitter as the receiver counted them,
    /// and the round trip (RFC 3550 §6.4.1: arrival − LSR − DLSR, on this sender's NTP clock).
    fn report_blocks(&mut self, leg: usize, blocks: &[rtc::rtcp::reception_report::ReceptionReport]) {
        let (from, to) = (Self::party_name(self.legs[leg].remote), Self::party_name(self.legs[leg].owner));
        for b in blocks {
            let Some(track) = self.legs[leg].tracks.iter().find(|t| t.ssrc == b.ssrc).map(|t| (t.id.clone(), t.kind))
            else {
                continue;
            };
            if self.cfg.simulcast
                && track.1 == MediaKind::Video
                && let (Party::Sfu, Party::P(receiver)) = (self.legs[leg].owner, self.legs[leg].remote)
                && let Some((sender, _, _)) = parse_track(&track.0)
            {
                self.steer_layer(receiver, sender, f64::from(b.fraction_lost) / 256.0);
            }
            let clock = if track.1 == MediaKind::Audio { 48_000.0 } else { 90_000.0 };
            let mut rtt = String::new();
            if b.last_sender_report != 0
                && let Some(&sent) = self.lsr_sent.get(&(b.ssrc, b.last_sender_report))
            {
                let held = Duration::from_secs_f64(f64::from(b.delay) / 65536.0);
                let ms = self.now.saturating_sub(sent).saturating_sub(held).as_secs_f64() * 1000.0;
                self.rtt.insert((leg, b.ssrc), ms);
                rtt = format!(", round trip {ms:.1} ms");
            }
            let summary = format!(
                "report on {}: {:.1} % lost since the last report, {} lost in all, jitter {:.1} ms{rtt}",
                track.0,
                f64::from(b.fraction_lost) / 256.0 * 100.0,
                b.total_lost,
                f64::from(b.jitter) / clock * 1000.0
            );
            self.event("rtcp", from.clone(), to.clone(), summary);
        }
    }
}

/// A sender report's (SSRC, SRTCP index), read from the parts SRTCP leaves in the clear: the
/// first RTCP header and the index before the 10-byte authentication tag.
pub(super) fn sender_report_key(b: &[u8]) -> Option<(u32, u32)> {
    if b.len() < 8 + 14 || !(128..=191).contains(&b[0]) || b[1] != 200 {
        return None;
    }
    let ssrc = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
    let at = b.len() - 14;
    let index = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) & 0x7fff_ffff;
    Some((ssrc, index))
}
