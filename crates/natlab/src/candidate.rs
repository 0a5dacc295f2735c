//! ICE candidates as a learner reads them: an `a=candidate` line (RFC 8839 §5.1) split into
//! its fields, with the priority broken into type preference | local preference | component
//! (RFC 8445 §5.1.2.1), like the WebRTC samples' Trickle ICE page. Formatted from the fields,
//! not from `RTCIceCandidate`'s Display (which runs the port into the related address).

use serde::Serialize;

/// The candidate types, from least to most relayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CandidateType {
    Host,
    Srflx,
    Prflx,
    Relay,
}

impl CandidateType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::Srflx,
            "prflx" => CandidateType::Prflx,
            "relay" => CandidateType::Relay,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
        }
    }
    /// What the type means, in one line.
    pub fn words(self) -> &'static str {
        match self {
            CandidateType::Host => "the peer's own address",
            CandidateType::Srflx => "the address its NAT maps it to, as a STUN server saw it",
            CandidateType::Prflx => "an address learned from a connectivity check (a NAT mapping nobody signalled)",
            CandidateType::Relay => "an address on a TURN server that relays for it",
        }
    }
}

/// One candidate line's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub foundation: String,
    pub component: u16,
    pub protocol: String,
    pub priority: u32,
    pub address: String,
    pub port: u16,
    #[serde(rename = "type")]
    pub typ: CandidateType,
    pub related_address: Option<String>,
    pub related_port: Option<u16>,
}

/// A candidate line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("candidate `{line}`: {problem}")]
pub struct CandidateError {
    pub line: String,
    pub problem: String,
}

impl Candidate {
    /// Reads `candidate:1 1 udp 2130706431 10.0.1.2 5000 typ host [raddr A rport P] …`
    /// (with or without the `a=` and `candidate:` prefixes).
    pub fn parse(line: &str) -> Result<Candidate, CandidateError> {
        let err = |problem: &str| CandidateError { line: line.to_string(), problem: problem.to_string() };
        let body = line.trim().trim_start_matches("a=").trim_start_matches("candidate:");
        let f: Vec<&str> = body.split_whitespace().collect();
        if f.len() < 8 {
            return Err(err("expected FOUNDATION COMPONENT PROTOCOL PRIORITY ADDRESS PORT typ TYPE"));
        }
        if f[6] != "typ" {
            return Err(err("the seventh field must be `typ`"));
        }
        let typ = CandidateType::parse(f[7]).ok_or_else(|| err("type must be host, srflx, prflx or relay"))?;
        let mut related_address = None;
        let mut related_port = None;
        let mut rest = f[8..].iter();
        while let Some(key) = rest.next() {
            let value = rest.next();
            match (*key, value) {
                ("raddr", Some(v)) => related_address = Some(v.to_string()),
                ("rport", Some(v)) => related_port = Some(v.parse().map_err(|_| err("rport is not a port"))?),
                _ => {}
            }
        }
        Ok(Candidate {
            foundation: f[0].to_string(),
            component: f[1].parse().map_err(|_| err("component is not a number"))?,
            protocol: f[2].to_ascii_lowercase(),
            priority: f[3].parse().map_err(|_| err("priority is not a 32-bit number"))?,
            address: f[4].to_string(),
            port: f[5].parse().map_err(|_| err("port is not a port"))?,
            typ,
            related_address,
            related_port,
        })
    }

    /// RFC 8445 §5.1.2.1: priority = 2^24 × type preference + 2^8 × local preference + (256 − component).
    pub fn priority_parts(&self) -> (u32, u32, u32) {
        let p = self.priority;
        (p >> 24, (p >> 8) & 0xffff, 256 - (p & 0xff))
    }

    /// The address as a socket address (`None` for an mDNS `.local` name).
    pub fn socket_addr(&self) -> Option<std::net::SocketAddr> {
        Some(std::net::SocketAddr::new(self.address.parse().ok()?, self.port))
    }

    pub fn addr(&self) -> String {
        format!("{}:{}", self.address, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_reflexive_line_splits_into_fields_and_priority_parts() {
        let c = Candidate::parse("a=candidate:2 1 udp 1694498815 203.0.113.1 5000 typ srflx raddr 10.0.1.2 rport 5000")
            .unwrap();
        assert_eq!(c.typ, CandidateType::Srflx);
        assert_eq!(c.addr(), "203.0.113.1:5000");
        assert_eq!(c.related_address.as_deref(), Some("10.0.1.2"));
        assert_eq!(c.related_port, Some(5000));
        assert_eq!(c.priority_parts(), (100, 65535, 1));
    }

    #[test]
    fn bad_lines_say_which_field_is_wrong() {
        for (line, problem) in [
            ("candidate:1 1 udp", "expected FOUNDATION"),
            ("candidate:1 1 udp 1 10.0.0.1 5000 kind host", "`typ`"),
            ("candidate:1 1 udp 1 10.0.0.1 5000 typ magic", "host, srflx"),
            ("candidate:1 x udp 1 10.0.0.1 5000 typ host", "component"),
            ("candidate:1 1 udp 1 10.0.0.1 99999 typ host", "port"),
        ] {
            let e = Candidate::parse(line).unwrap_err();
            assert!(e.problem.contains(problem), "{line}: {}", e.problem);
        }
    }
}
