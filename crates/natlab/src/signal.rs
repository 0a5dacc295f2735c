//! The signalling messages two peers exchange through the lab's signalling server, one JSON
//! object per WebSocket text message (documented in docs/signalling.md):
//!
//! ```json
//! {"type":"offer","sdp":"v=0\r\n…"}
//! {"type":"answer","sdp":"v=0\r\n…"}
//! {"type":"candidate","candidate":"candidate:1 1 udp 2130706431 10.0.1.2 5000 typ host","sdpMid":"0","sdpMLineIndex":0}
//! {"type":"end-of-candidates"}
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Signal {
    Offer {
        sdp: String,
    },
    Answer {
        sdp: String,
    },
    Candidate {
        candidate: String,
        #[serde(rename = "sdpMid", default, skip_serializing_if = "Option::is_none")]
        sdp_mid: Option<String>,
        #[serde(rename = "sdpMLineIndex", default, skip_serializing_if = "Option::is_none")]
        sdp_mline_index: Option<u16>,
    },
    EndOfCandidates,
}

impl Signal {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("signals serialise")
    }

    /// Reads one message; the error says what was wrong and what is expected.
    pub fn from_json(text: &str) -> Result<Signal, String> {
        serde_json::from_str(text).map_err(|e| {
            format!(
                "signalling message is not one of offer, answer, candidate, end-of-candidates ({e}); \
                 expected e.g. {{\"type\":\"candidate\",\"candidate\":\"candidate:…\"}}"
            )
        })
    }

    /// The one-line summary a timeline shows.
    pub fn summary(&self) -> String {
        match self {
            Signal::Offer { sdp } => format!("offer ({} SDP lines)", sdp.lines().count()),
            Signal::Answer { sdp } => format!("answer ({} SDP lines)", sdp.lines().count()),
            Signal::Candidate { candidate, .. } => match crate::candidate::Candidate::parse(candidate) {
                Ok(c) => format!("candidate {} {}", c.typ.name(), c.addr()),
                Err(_) => format!("candidate {candidate}"),
            },
            Signal::EndOfCandidates => "end of candidates".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_in_the_documented_format() {
        let c = Signal::Candidate {
            candidate: "candidate:1 1 udp 2130706431 10.0.1.2 5000 typ host".into(),
            sdp_mid: Some("0".into()),
            sdp_mline_index: Some(0),
        };
        let json = c.to_json();
        assert_eq!(
            json,
            r#"{"type":"candidate","candidate":"candidate:1 1 udp 2130706431 10.0.1.2 5000 typ host","sdpMid":"0","sdpMLineIndex":0}"#
        );
        assert_eq!(Signal::from_json(&json).unwrap(), c);
        assert_eq!(Signal::EndOfCandidates.to_json(), r#"{"type":"end-of-candidates"}"#);
        assert!(Signal::from_json(r#"{"type":"hello"}"#).unwrap_err().contains("expected"));
    }
}
