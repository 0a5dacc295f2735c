//! What a call is: how many take part, how media flows (mesh or SFU), the video bitrate, the
//! network each participant sits on. Every limit is checked here with a message that says
//! what is wrong and what is allowed.

use std::time::Duration;

use rtclab_natlab::nat::NatSpec;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Topology {
    /// Every participant sends its streams to every other over its own peer connection.
    Mesh,
    /// Every participant sends once, to the SFU, which forwards to the others.
    Sfu,
}

impl Topology {
    pub fn parse(s: &str) -> Result<Topology, String> {
        match s {
            "mesh" | "p2p" => Ok(Topology::Mesh),
            "sfu" => Ok(Topology::Sfu),
            _ => Err(format!("unknown topology {s:?}: use mesh (peer to peer) or sfu")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Topology::Mesh => "mesh",
            Topology::Sfu => "sfu",
        }
    }
}

pub const MIN_PARTICIPANTS: usize = 2;
pub const MAX_PARTICIPANTS: usize = 8;

#[derive(Debug, Clone)]
pub struct CallConfig {
    pub participants: usize,
    pub topology: Topology,
    pub video_kbps: u32,
    /// Every participant's uplink capacity (`None`: unlimited).
    pub uplink_kbps: Option<u32>,
    pub downlink_kbps: Option<u32>,
    /// P1 alone on a thinner uplink (overrides `uplink_kbps` for P1).
    pub thin_uplink_kbps: Option<u32>,
    /// P1 alone on a thinner downlink (overrides `downlink_kbps` for P1).
    pub thin_downlink_kbps: Option<u32>,
    /// Every participant sends three video layers; the SFU forwards one per receiver
    /// (SFU calls only).
    pub simulcast: bool,
    /// Loss on every internet crossing, in [0, 0.5].
    pub loss: f64,
    /// One-way internet latency.
    pub latency: Duration,
    pub nack: bool,
    /// The NAT in front of every participant (the SFU and TURN server are public).
    pub nat: NatSpec,
    /// Offer a TURN server (used when the NATs leave no direct path).
    pub turn: bool,
    /// Media time, counted from the moment every connection is up.
    pub duration: Duration,
    pub keyframe_interval: Duration,
    pub seed: u64,
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig {
            participants: 3,
            topology: Topology::Sfu,
            video_kbps: 800,
            uplink_kbps: None,
            downlink_kbps: None,
            thin_uplink_kbps: None,
            thin_downlink_kbps: None,
            simulcast: false,
            loss: 0.0,
            latency: Duration::from_millis(20),
            nack: true,
            nat: NatSpec::preset("port-restricted").expect("a preset"),
            turn: false,
            duration: Duration::from_secs(10),
            keyframe_interval: Duration::from_secs(3),
            seed: 1,
        }
    }
}

impl CallConfig {
    pub fn validate(&self) -> Result<(), String> {
        if !(MIN_PARTICIPANTS..=MAX_PARTICIPANTS).contains(&self.participants) {
            return Err(format!(
                "participants: {} is out of range; a call here has {MIN_PARTICIPANTS} to {MAX_PARTICIPANTS}",
                self.participants
            ));
        }
        if !(50..=4000).contains(&self.video_kbps) {
            return Err(format!("video bitrate: {} kbit/s is out of range; use 50 to 4000", self.video_kbps));
        }
        for (name, v) in [
            ("uplink", self.uplink_kbps),
            ("downlink", self.downlink_kbps),
            ("thin uplink", self.thin_uplink_kbps),
            ("thin downlink", self.thin_downlink_kbps),
        ] {
            if let Some(k) = v
                && !(64..=1_000_000).contains(&k)
            {
                return Err(format!("{name}: {k} kbit/s is out of range; use 64 to 1000000, or leave it unlimited"));
            }
        }
        if !(0.0..=0.5).contains(&self.loss) {
            return Err(format!("loss: {:.1} % is out of range; use 0 to 50 %", self.loss * 100.0));
        }
        if self.latency > Duration::from_millis(500) {
            return Err(format!("latency: {} ms is out of range; use 0 to 500 ms", self.latency.as_millis()));
        }
        if self.duration < Duration::from_millis(500) || self.duration > Duration::from_secs(120) {
            return Err(format!(
                "duration: {:.1} s is out of range; use 0.5 to 120 s of call time",
                self.duration.as_secs_f64()
            ));
        }
        if self.simulcast && self.topology != Topology::Sfu {
            return Err(
                "simulcast: the layers are chosen by the SFU; use the sfu topology or turn simulcast off".into()
            );
        }
        if self.keyframe_interval < Duration::from_millis(500) {
            return Err("keyframe interval: use at least 0.5 s".into());
        }
        Ok(())
    }

    /// The uplink capacity of participant `i` (0-based).
    pub fn uplink_of(&self, i: usize) -> Option<u32> {
        if i == 0 { self.thin_uplink_kbps.or(self.uplink_kbps) } else { self.uplink_kbps }
    }

    /// The downlink capacity of participant `i` (0-based).
    pub fn downlink_of(&self, i: usize) -> Option<u32> {
        if i == 0 { self.thin_downlink_kbps.or(self.downlink_kbps) } else { self.downlink_kbps }
    }
}

/// Parses `1%`, `0.01` or `5 %` into a probability.
pub fn parse_loss(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, pct) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 = num.parse().map_err(|_| format!("loss {s:?}: write a percentage such as 1% or 5%"))?;
    let p = if pct || v > 1.0 { v / 100.0 } else { v };
    if !(0.0..=0.5).contains(&p) {
        return Err(format!("loss {s:?}: use 0% to 50%"));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_say_what_is_allowed() {
        let c = CallConfig { participants: 9, ..Default::default() };
        assert!(c.validate().unwrap_err().contains("2 to 8"));
        assert!(CallConfig::default().validate().is_ok());
        assert_eq!(parse_loss("1%").unwrap(), 0.01);
        assert_eq!(parse_loss("0.05").unwrap(), 0.05);
        assert!(parse_loss("80%").is_err());
        assert!(Topology::parse("star").unwrap_err().contains("mesh"));
    }
}
