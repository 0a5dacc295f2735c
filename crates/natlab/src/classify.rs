//! What a UDP datagram of a WebRTC session is, from its first bytes (RFC 7983's demultiplexing:
//! STUN 0–3, ChannelData 64–79, DTLS 20–63, RTP/RTCP 128–191), named the way a learner reads it.

use rtc::stun::attributes::{ATTR_PRIORITY, ATTR_USE_CANDIDATE};
use rtc::stun::message::{CLASS_ERROR_RESPONSE, CLASS_INDICATION, CLASS_REQUEST, CLASS_SUCCESS_RESPONSE, Message};

/// The protocol family of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Stun,
    ChannelData,
    Dtls,
    Rtp,
    Unknown,
}

pub fn family(bytes: &[u8]) -> Family {
    match bytes.first() {
        Some(0..=3) => Family::Stun,
        Some(20..=63) => Family::Dtls,
        Some(64..=79) => Family::ChannelData,
        Some(128..=191) => Family::Rtp,
        _ => Family::Unknown,
    }
}

/// A STUN message decoded, if the bytes are one.
pub fn stun(bytes: &[u8]) -> Option<Message> {
    if family(bytes) != Family::Stun {
        return None;
    }
    let mut m = Message::new();
    m.unmarshal_binary(bytes).ok()?;
    Some(m)
}

/// "STUN Binding request (ICE check)", "TURN Allocate error response", "DTLS", ….
pub fn describe(bytes: &[u8]) -> String {
    match family(bytes) {
        Family::Stun => match stun(bytes) {
            Some(m) => describe_stun(&m),
            None => "malformed STUN".into(),
        },
        Family::ChannelData => {
            let channel = bytes.get(..2).map(|b| u16::from_be_bytes([b[0], b[1]])).unwrap_or(0);
            format!("TURN ChannelData (channel {channel:#06x})")
        }
        Family::Dtls => match bytes.first() {
            Some(22) => "DTLS handshake".into(),
            Some(20) => "DTLS change cipher spec".into(),
            Some(21) => "DTLS alert".into(),
            Some(23) => "DTLS application data (SCTP)".into(),
            _ => "DTLS".into(),
        },
        Family::Rtp => "SRTP/SRTCP".into(),
        Family::Unknown => "unknown".into(),
    }
}

fn describe_stun(m: &Message) -> String {
    let method = m.typ.method.to_string();
    let class = match m.typ.class {
        c if c == CLASS_REQUEST => "request",
        c if c == CLASS_SUCCESS_RESPONSE => "success response",
        c if c == CLASS_ERROR_RESPONSE => "error response",
        c if c == CLASS_INDICATION => "indication",
        _ => "message",
    };
    let is_turn = !matches!(method.as_str(), "Binding" | "binding");
    let mut s = format!("{} {} {class}", if is_turn { "TURN" } else { "STUN" }, title(&method));
    if m.contains(ATTR_PRIORITY) {
        s.push_str(if m.contains(ATTR_USE_CANDIDATE) { " (ICE check, USE-CANDIDATE)" } else { " (ICE check)" });
    }
    s
}

fn title(method: &str) -> String {
    // rtc-stun prints methods as "Binding", "Allocate", "CreatePermission"…; keep them, but
    // make sure the first letter is upper case whatever the version prints.
    let mut c = method.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
