//! The lab's STUN server (RFC 8489 Binding) with RFC 5780's behaviour-discovery additions:
//! it listens on two IPs × two ports, answers with XOR-MAPPED-ADDRESS, RESPONSE-ORIGIN and
//! OTHER-ADDRESS, and honours CHANGE-REQUEST by answering from the other IP and/or port.
//! Sans-IO: a request and the address it reached go in, a reply and the address it leaves
//! from come out. Messages are encoded with `rtc-stun` (the stack the peers use).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rtc::stun::addr::MappedAddress;
use rtc::stun::attributes::{ATTR_CHANGE_REQUEST, ATTR_OTHER_ADDRESS, ATTR_RESPONSE_ORIGIN};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::message::{BINDING_REQUEST, BINDING_SUCCESS, Message, Setter};
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;

/// CHANGE-REQUEST flags (RFC 5780 §7.2).
pub const CHANGE_IP: u32 = 0x4;
pub const CHANGE_PORT: u32 = 0x2;

/// The name the server gives in SOFTWARE.
const SOFTWARE: &str = "rtc-lab stun";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StunServer {
    pub primary: SocketAddr,
    /// The second IP and port (RFC 5780's alternate address).
    pub other: SocketAddr,
}

/// A request the server would not answer, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StunServerError {
    #[error("not a STUN message ({0})")]
    Malformed(String),
    #[error("not a Binding request ({0})")]
    NotBinding(String),
}

impl StunServer {
    pub fn new(primary_ip: Ipv4Addr, other_ip: Ipv4Addr) -> Self {
        StunServer {
            primary: SocketAddr::new(IpAddr::V4(primary_ip), 3478),
            other: SocketAddr::new(IpAddr::V4(other_ip), 3479),
        }
    }

    /// Every address the server answers on.
    pub fn addresses(&self) -> [SocketAddr; 4] {
        let (p, o) = (self.primary, self.other);
        [p, SocketAddr::new(p.ip(), o.port()), SocketAddr::new(o.ip(), p.port()), o]
    }

    pub fn serves(&self, addr: SocketAddr) -> bool {
        self.addresses().contains(&addr)
    }

    /// Answers a Binding request that arrived at `to` from `from` (as the server sees it):
    /// the reply and the address it is sent from.
    pub fn answer(
        &self,
        request: &[u8],
        from: SocketAddr,
        to: SocketAddr,
    ) -> Result<(SocketAddr, Vec<u8>), StunServerError> {
        let mut req = Message::new();
        req.unmarshal_binary(request).map_err(|e| StunServerError::Malformed(e.to_string()))?;
        if req.typ != BINDING_REQUEST {
            return Err(StunServerError::NotBinding(req.typ.to_string()));
        }
        let change = req
            .get(ATTR_CHANGE_REQUEST)
            .ok()
            .and_then(|v| v.get(..4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
            .unwrap_or(0);
        let reply_ip = if change & CHANGE_IP != 0 { self.flip_ip(to.ip()) } else { to.ip() };
        let reply_port = if change & CHANGE_PORT != 0 { self.flip_port(to.port()) } else { to.port() };
        let source = SocketAddr::new(reply_ip, reply_port);

        let mut resp = Message::new();
        let other = MappedAddress { ip: self.flip_ip(to.ip()), port: self.flip_port(to.port()) };
        let origin = MappedAddress { ip: source.ip(), port: source.port() };
        resp.build(&[
            Box::new(req.transaction_id),
            Box::new(BINDING_SUCCESS),
            Box::new(XorMappedAddress { ip: from.ip(), port: from.port() }),
            Box::new(TextAttribute::new(rtc::stun::attributes::ATTR_SOFTWARE, SOFTWARE.to_string())),
        ])
        .map_err(|e| StunServerError::Malformed(e.to_string()))?;
        other
            .add_to_as(&mut resp, ATTR_OTHER_ADDRESS)
            .and_then(|_| origin.add_to_as(&mut resp, ATTR_RESPONSE_ORIGIN))
            .and_then(|_| FINGERPRINT.add_to(&mut resp))
            .map_err(|e| StunServerError::Malformed(e.to_string()))?;
        Ok((source, resp.raw))
    }

    fn flip_ip(&self, ip: IpAddr) -> IpAddr {
        if ip == self.primary.ip() { self.other.ip() } else { self.primary.ip() }
    }

    fn flip_port(&self, port: u16) -> u16 {
        if port == self.primary.port() { self.other.port() } else { self.primary.port() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::stun::message::{Getter, TransactionId};

    fn server() -> StunServer {
        StunServer::new(Ipv4Addr::new(192, 0, 2, 10), Ipv4Addr::new(192, 0, 2, 11))
    }

    fn request(change: u32, tid: [u8; 12]) -> Vec<u8> {
        let mut m = Message::new();
        m.build(&[Box::new(TransactionId(tid)), Box::new(BINDING_REQUEST)]).unwrap();
        if change != 0 {
            m.add(ATTR_CHANGE_REQUEST, &change.to_be_bytes());
            m.write_length();
        }
        m.raw
    }

    fn parse(bytes: &[u8]) -> Message {
        let mut m = Message::new();
        m.unmarshal_binary(bytes).unwrap();
        m
    }

    /// RFC 5769 §2.2: the sample IPv4 response's transaction id and XOR-MAPPED-ADDRESS.
    const RFC5769_TID: [u8; 12] = [0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae];
    const RFC5769_XOR_MAPPED_IPV4: [u8; 12] = [0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43];

    #[test]
    fn the_mapped_address_is_xored_exactly_as_rfc_5769_shows() {
        let from: SocketAddr = "192.0.2.1:32853".parse().unwrap();
        let (_, reply) = server().answer(&request(0, RFC5769_TID), from, server().primary).unwrap();
        let attr_at = reply.windows(RFC5769_XOR_MAPPED_IPV4.len()).position(|w| w == RFC5769_XOR_MAPPED_IPV4);
        assert!(attr_at.is_some(), "XOR-MAPPED-ADDRESS bytes differ from RFC 5769's vector");
        let m = parse(&reply);
        let mut x = XorMappedAddress::default();
        x.get_from(&m).unwrap();
        assert_eq!(SocketAddr::new(x.ip, x.port), from);
        assert_eq!(m.transaction_id.0, RFC5769_TID);
        FINGERPRINT.check(&m).unwrap();
    }

    #[test]
    fn rfc_5769_sample_ipv4_response_decodes() {
        // RFC 5769 §2.2, whole message (MESSAGE-INTEGRITY key "VOkJxbRl1RmTxUk/WvJxBt").
        let vector: [u8; 80] = [
            0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87,
            0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20,
            0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91,
            0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7,
            0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
        ];
        let m = parse(&vector);
        assert_eq!(m.typ, BINDING_SUCCESS);
        let mut x = XorMappedAddress::default();
        x.get_from(&m).unwrap();
        assert_eq!(SocketAddr::new(x.ip, x.port), "192.0.2.1:32853".parse::<SocketAddr>().unwrap());
        FINGERPRINT.check(&m).unwrap();
    }

    #[test]
    fn change_request_moves_the_reply_source_and_other_address_names_the_alternate() {
        let s = server();
        let from: SocketAddr = "203.0.113.1:5000".parse().unwrap();
        for (flags, expected) in [
            (0, s.primary),
            (CHANGE_PORT, SocketAddr::new(s.primary.ip(), s.other.port())),
            (CHANGE_IP, SocketAddr::new(s.other.ip(), s.primary.port())),
            (CHANGE_IP | CHANGE_PORT, s.other),
        ] {
            let (source, reply) = s.answer(&request(flags, [7; 12]), from, s.primary).unwrap();
            assert_eq!(source, expected, "flags {flags:#x}");
            let m = parse(&reply);
            let mut origin = MappedAddress::default();
            origin.get_from_as(&m, ATTR_RESPONSE_ORIGIN).unwrap();
            assert_eq!(SocketAddr::new(origin.ip, origin.port), expected);
            let mut other = MappedAddress::default();
            other.get_from_as(&m, ATTR_OTHER_ADDRESS).unwrap();
            assert_eq!(SocketAddr::new(other.ip, other.port), s.other);
        }
    }

    #[test]
    fn garbage_and_other_methods_are_refused_with_a_reason() {
        let s = server();
        let from: SocketAddr = "203.0.113.1:5000".parse().unwrap();
        assert!(matches!(s.answer(b"hello", from, s.primary), Err(StunServerError::Malformed(_))));
        let mut m = Message::new();
        m.build(&[Box::new(TransactionId([1; 12])), Box::new(BINDING_SUCCESS)]).unwrap();
        assert!(matches!(s.answer(&m.raw, from, s.primary), Err(StunServerError::NotBinding(_))));
    }
}
