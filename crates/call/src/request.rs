//! A call as the screens ask for it (JSON, exported to TypeScript), checked and turned into a
//! [`CallConfig`]. Every field has a default, so `{}` is the default call.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::config::{CallConfig, Topology};

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(default)]
#[ts(export)]
pub struct CallRequest {
    pub participants: usize,
    pub topology: Topology,
    pub video_kbps: u32,
    pub uplink_kbps: Option<u32>,
    pub downlink_kbps: Option<u32>,
    /// P1 alone on a thinner uplink.
    pub thin_uplink_kbps: Option<u32>,
    /// P1 alone on a thinner downlink.
    pub thin_downlink_kbps: Option<u32>,
    /// Three video layers per sender, one chosen per receiver by the SFU.
    pub simulcast: bool,
    pub loss_percent: f64,
    pub latency_ms: f64,
    pub nack: bool,
    /// A NAT preset or grid point, in front of every participant.
    pub nat: String,
    pub turn: bool,
    pub duration_s: f64,
    #[ts(type = "number")]
    pub seed: u64,
}

impl Default for CallRequest {
    fn default() -> Self {
        let c = CallConfig::default();
        CallRequest {
            participants: c.participants,
            topology: c.topology,
            video_kbps: c.video_kbps,
            uplink_kbps: None,
            downlink_kbps: None,
            thin_uplink_kbps: None,
            thin_downlink_kbps: None,
            simulcast: false,
            loss_percent: 0.0,
            latency_ms: c.latency.as_secs_f64() * 1000.0,
            nack: true,
            nat: "port-restricted".into(),
            turn: false,
            duration_s: c.duration.as_secs_f64(),
            seed: 1,
        }
    }
}

impl CallRequest {
    pub fn config(&self) -> Result<CallConfig, String> {
        let nat = self.nat.parse::<rtclab_natlab::nat::NatSpec>().map_err(|e| format!("NAT {:?}: {e}", self.nat))?;
        for (name, v) in [("loss", self.loss_percent), ("latency", self.latency_ms), ("duration", self.duration_s)] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name}: {v} is not a number of zero or more"));
            }
        }
        let cfg = CallConfig {
            participants: self.participants,
            topology: self.topology,
            video_kbps: self.video_kbps,
            uplink_kbps: self.uplink_kbps,
            downlink_kbps: self.downlink_kbps,
            thin_uplink_kbps: self.thin_uplink_kbps,
            thin_downlink_kbps: self.thin_downlink_kbps,
            simulcast: self.simulcast,
            loss: self.loss_percent / 100.0,
            latency: Duration::from_secs_f64(self.latency_ms / 1000.0),
            nack: self.nack,
            nat,
            turn: self.turn,
            duration: Duration::from_secs_f64(self.duration_s),
            seed: self.seed,
            ..CallConfig::default()
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_request_is_the_default_call_and_bad_fields_say_so() {
        let c = CallRequest::default().config().unwrap();
        assert_eq!((c.participants, c.video_kbps), (3, 800));
        let bad = CallRequest { nat: "wobbly".into(), ..Default::default() };
        assert!(bad.config().unwrap_err().contains("NAT"));
        let bad = CallRequest { loss_percent: 70.0, ..Default::default() };
        assert!(bad.config().unwrap_err().contains("loss"));
    }
}
