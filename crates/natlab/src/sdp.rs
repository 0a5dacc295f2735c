//! An SDP offer or answer read line by line for a learner: which section each line is in
//! (session or a media section), what it says, and a parse error that names the line.
//! `rtc` parses the SDP for real; this reader only explains it and reports where it is broken.

use serde::Serialize;

/// One line with its meaning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SdpLine {
    /// 1-based line number.
    pub number: usize,
    pub text: String,
    /// "session" or "media 0", "media 1", …
    pub section: String,
    pub meaning: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("SDP line {line}: {problem} (`{text}`)")]
pub struct SdpError {
    pub line: usize,
    pub text: String,
    pub problem: String,
}

/// Checks the shape every SDP must have: `v=0` first, `x=value` lines, a known type letter.
pub fn check(sdp: &str) -> Result<(), SdpError> {
    explain(sdp).map(|_| ())
}

/// Every line of `sdp`, explained.
pub fn explain(sdp: &str) -> Result<Vec<SdpLine>, SdpError> {
    let mut out = Vec::new();
    let mut section = "session".to_string();
    let mut media = 0;
    for (i, raw) in sdp.lines().enumerate() {
        let number = i + 1;
        let text = raw.trim_end_matches('\r');
        if text.is_empty() {
            continue;
        }
        let err = |problem: &str| SdpError { line: number, text: text.to_string(), problem: problem.to_string() };
        let bytes = text.as_bytes();
        if bytes.len() < 2 || bytes[1] != b'=' {
            return Err(err("every line must be a type letter, `=`, and a value"));
        }
        if number == 1 && text != "v=0" {
            return Err(err("an SDP must start with `v=0`"));
        }
        let (letter, value) = (bytes[0] as char, &text[2..]);
        if !"vosiuepcbtrzkam".contains(letter) {
            return Err(err("unknown line type (RFC 8866 allows v o s i u e p c b t r z k a m)"));
        }
        if letter == 'm' {
            section = format!("media {media}");
            media += 1;
        }
        out.push(SdpLine { number, text: text.to_string(), section: section.clone(), meaning: meaning(letter, value) });
    }
    if out.is_empty() {
        return Err(SdpError { line: 1, text: String::new(), problem: "the SDP is empty".into() });
    }
    Ok(out)
}

fn meaning(letter: char, value: &str) -> String {
    let attr = |name: &str| value.strip_prefix(name).map(|v| v.trim_start_matches(':'));
    match letter {
        'v' => "protocol version (always 0)".into(),
        'o' => "origin: username, session id and version, network address (a placeholder in WebRTC)".into(),
        's' => "session name (unused by WebRTC)".into(),
        't' => "timing: 0 0 means the session is not bounded in time".into(),
        'c' => "connection address (ICE candidates decide the real one)".into(),
        'm' if value.starts_with("application") => {
            "media section for data: SCTP over DTLS (UDP/DTLS/SCTP), where data channels run".into()
        }
        'm' => "media section: kind, port (9 = decided by ICE), transport and formats".into(),
        'a' => {
            if let Some(v) = attr("ice-ufrag") {
                format!("ICE username fragment `{v}`: it prefixes every connectivity check's USERNAME")
            } else if attr("ice-pwd").is_some() {
                "ICE password: the key of the checks' MESSAGE-INTEGRITY".into()
            } else if let Some(v) = attr("fingerprint") {
                format!(
                    "hash of the DTLS certificate ({}): the handshake must present this certificate",
                    v.split(' ').next().unwrap_or("")
                )
            } else if let Some(v) = attr("setup") {
                match v {
                    "actpass" => "DTLS role: either (the offerer lets the answerer choose)".into(),
                    "active" => "DTLS role: this side starts the handshake (client)".into(),
                    "passive" => "DTLS role: this side waits for the handshake (server)".into(),
                    _ => format!("DTLS role `{v}`"),
                }
            } else if value.starts_with("candidate:") {
                match crate::candidate::Candidate::parse(value) {
                    Ok(c) => format!("ICE candidate, {}: {} ({})", c.typ.name(), c.addr(), c.typ.words()),
                    Err(e) => format!("ICE candidate that does not parse: {}", e.problem),
                }
            } else if value == "end-of-candidates" {
                "no more candidates will follow".into()
            } else if let Some(v) = attr("mid") {
                format!("this media section's id `{v}` (BUNDLE and candidates refer to it)")
            } else if let Some(v) = attr("group") {
                format!("media sections bundled on one transport: {v}")
            } else if let Some(v) = attr("sctp-port") {
                format!("SCTP port {v} inside the DTLS association")
            } else if let Some(v) = attr("max-message-size") {
                format!("largest data-channel message the sender accepts: {v} bytes")
            } else if value.starts_with("ice-options") {
                "ICE options (trickle: candidates may follow the description)".into()
            } else {
                "attribute".into()
            }
        }
        _ => "line".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_explained_by_section() {
        let sdp = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=setup:actpass\r\na=candidate:1 1 udp 2130706431 10.0.1.2 5000 typ host\r\n";
        let lines = explain(sdp).unwrap();
        assert_eq!(lines[4].section, "media 0");
        assert!(lines[5].meaning.contains("either"));
        assert!(lines[6].meaning.contains("host: 10.0.1.2:5000"));
    }

    #[test]
    fn a_broken_line_is_named_by_number() {
        let e = check("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\nthis is not sdp\r\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().contains("SDP line 3"));
        assert_eq!(check("o=x\r\n").unwrap_err().line, 1);
        assert!(check("").is_err());
    }
}
