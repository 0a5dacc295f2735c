//! The lab's TURN server (RFC 8656, UDP relaying) on the simulated public side: Allocate with
//! long-term credentials (401 with REALM and NONCE, 438 for a stale nonce), Refresh (LIFETIME 0
//! deletes), CreatePermission, ChannelBind, Send and Data indications, ChannelData, and
//! allocation, permission and channel lifetimes on the simulation clock. It also answers
//! Binding requests, as TURN servers do.
//!
//! Written on `rtc-stun` / `rtc-turn`'s message types so the peers and the servers share one
//! STUN stack; `rtc` has no TURN server, and `turn-server-proto` brings a second STUN stack.
//! Sans-IO: `receive(now, from, to, bytes)` returns the datagrams to send.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rtc::crypto::RTCCryptoProvider;
use rtc::stun::attributes::{ATTR_MESSAGE_INTEGRITY, ATTR_NONCE, ATTR_REALM, ATTR_USERNAME};
use rtc::stun::error_code::{
    CODE_ALLOC_MISMATCH, CODE_BAD_REQUEST, CODE_INSUFFICIENT_CAPACITY, CODE_STALE_NONCE, CODE_UNAUTHORIZED,
    CODE_UNSUPPORTED_TRANS_PROTO, ErrorCode, ErrorCodeAttribute,
};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{
    BINDING_REQUEST, BINDING_SUCCESS, CLASS_ERROR_RESPONSE, CLASS_INDICATION, CLASS_REQUEST, CLASS_SUCCESS_RESPONSE,
    Getter, METHOD_ALLOCATE, METHOD_CHANNEL_BIND, METHOD_CREATE_PERMISSION, METHOD_DATA, METHOD_REFRESH, METHOD_SEND,
    Message, MessageType, Method, Setter,
};
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::proto::PROTO_UDP;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use serde::Serialize;

/// Lifetimes and credentials (RFC 8656 defaults).
#[derive(Debug, Clone)]
pub struct TurnConfig {
    pub realm: String,
    pub users: Vec<(String, String)>,
    pub default_lifetime: Duration,
    pub max_lifetime: Duration,
    pub permission_lifetime: Duration,
    pub channel_lifetime: Duration,
    /// A nonce older than this is answered with 438 Stale Nonce.
    pub nonce_lifetime: Duration,
}

impl Default for TurnConfig {
    fn default() -> Self {
        TurnConfig {
            realm: "rtc-lab".into(),
            users: vec![("learner".into(), "secret".into())],
            default_lifetime: Duration::from_secs(600),
            max_lifetime: Duration::from_secs(3600),
            permission_lifetime: Duration::from_secs(300),
            channel_lifetime: Duration::from_secs(600),
            nonce_lifetime: Duration::from_secs(3600),
        }
    }
}

/// One client's allocation: its relayed address, permissions and channels.
#[derive(Debug, Clone, Serialize)]
pub struct Allocation {
    pub client: SocketAddr,
    pub relay: SocketAddr,
    pub username: String,
    #[serde(serialize_with = "crate::millis")]
    pub expires: Duration,
    /// Peer IP → when the permission expires.
    #[serde(skip)]
    pub permissions: BTreeMap<IpAddr, Duration>,
    /// Channel number → (peer, expiry).
    #[serde(skip)]
    pub channels: BTreeMap<u16, (SocketAddr, Duration)>,
    pub bytes_relayed: u64,
}

/// What the server did with one datagram.
#[derive(Debug, Default)]
pub struct TurnOutput {
    /// (from, to, bytes) datagrams to send.
    pub sends: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
    /// Datagrams it refused, with why.
    pub refused: Vec<String>,
    /// What changed in its tables (allocated, permitted, bound, refreshed, deleted).
    pub notes: Vec<String>,
}

pub struct TurnServer {
    pub listen: SocketAddr,
    pub config: TurnConfig,
    allocations: BTreeMap<SocketAddr, Allocation>,
    next_relay_port: u16,
    /// Issued nonces and when.
    nonces: Vec<(String, Duration)>,
    crypto: Arc<dyn RTCCryptoProvider>,
    /// Table changes not yet taken (expiries happen outside `receive`).
    pending_notes: Vec<String>,
    /// Relayed addresses a driver on real sockets has bound, handed out in order.
    relay_pool: std::collections::VecDeque<SocketAddr>,
    /// Allocate only from `relay_pool` (a real socket must exist for every relayed address).
    pool_only: bool,
}

impl std::fmt::Debug for TurnServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnServer")
            .field("listen", &self.listen)
            .field("allocations", &self.allocations)
            .finish_non_exhaustive()
    }
}

/// The first relay port handed out.
const FIRST_RELAY_PORT: u16 = 49152;

struct Refusal {
    code: ErrorCode,
    reason: String,
}

fn refuse(code: ErrorCode, reason: impl Into<String>) -> Refusal {
    Refusal { code, reason: reason.into() }
}

impl TurnServer {
    pub fn new(listen: SocketAddr, config: TurnConfig) -> Self {
        TurnServer {
            listen,
            config,
            allocations: BTreeMap::new(),
            next_relay_port: FIRST_RELAY_PORT,
            nonces: Vec::new(),
            crypto: rtc::crypto::default_provider().expect("the ring crypto provider is built in"),
            pending_notes: Vec::new(),
            relay_pool: Default::default(),
            pool_only: false,
        }
    }

    /// A server whose relayed addresses are exactly `relays` (sockets its driver has bound):
    /// once they are all allocated, an Allocate gets 508 Insufficient Capacity.
    pub fn with_relay_addresses(listen: SocketAddr, config: TurnConfig, relays: Vec<SocketAddr>) -> Self {
        TurnServer { relay_pool: relays.into(), pool_only: true, ..Self::new(listen, config) }
    }

    /// The listening address or one of the relayed addresses.
    pub fn owns(&self, addr: SocketAddr) -> bool {
        addr == self.listen || self.allocations.values().any(|a| a.relay == addr)
    }

    pub fn allocations(&self) -> impl Iterator<Item = &Allocation> {
        self.allocations.values()
    }

    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending_notes)
    }

    /// Removes what has expired by `now`.
    pub fn expire(&mut self, now: Duration) {
        let mut notes = Vec::new();
        self.allocations.retain(|_, a| {
            if a.expires <= now {
                notes.push(format!("allocation {} of {} expired", a.relay, a.client));
                return false;
            }
            a.permissions.retain(|ip, until| {
                let keep = *until > now;
                if !keep {
                    notes.push(format!("permission for {ip} on {} expired", a.relay));
                }
                keep
            });
            a.channels.retain(|n, (peer, until)| {
                let keep = *until > now;
                if !keep {
                    notes.push(format!("channel {n:#06x} → {peer} on {} expired", a.relay));
                }
                keep
            });
            true
        });
        self.pending_notes.extend(notes);
    }

    /// The earliest expiry, for the driver's timer.
    pub fn next_expiry(&self) -> Option<Duration> {
        self.allocations
            .values()
            .flat_map(|a| {
                std::iter::once(a.expires)
                    .chain(a.permissions.values().copied())
                    .chain(a.channels.values().map(|(_, t)| *t))
            })
            .min()
    }

    pub fn receive(&mut self, now: Duration, from: SocketAddr, to: SocketAddr, bytes: &[u8]) -> TurnOutput {
        self.expire(now);
        let mut out = TurnOutput { notes: self.take_notes(), ..TurnOutput::default() };
        if to != self.listen {
            self.datagram_from_peer(from, to, bytes, &mut out);
        } else if ChannelData::is_channel_data(bytes) {
            self.channel_data_from_client(from, bytes, &mut out);
        } else {
            let mut m = Message::new();
            match m.unmarshal_binary(bytes) {
                Err(e) => out.refused.push(format!("not a STUN or ChannelData message: {e}")),
                Ok(()) => self.message_from_client(now, from, m, &mut out),
            }
        }
        out
    }

    fn datagram_from_peer(&mut self, from: SocketAddr, relay: SocketAddr, bytes: &[u8], out: &mut TurnOutput) {
        let listen = self.listen;
        let Some(a) = self.allocations.values_mut().find(|a| a.relay == relay) else {
            return out.refused.push(format!("no allocation at {relay}"));
        };
        if !a.permissions.contains_key(&from.ip()) {
            return out.refused.push(format!(
                "no permission for {} on {relay}: the client has not called CreatePermission for that peer",
                from.ip()
            ));
        }
        a.bytes_relayed += bytes.len() as u64;
        let client = a.client;
        let channel = a.channels.iter().find(|(_, (p, _))| *p == from).map(|(n, _)| *n);
        let framed = match channel {
            Some(n) => {
                let mut cd = ChannelData { data: bytes.to_vec(), number: ChannelNumber(n), raw: vec![] };
                cd.encode();
                cd.raw
            }
            None => {
                let mut m = Message::new();
                let built = m.build(&[
                    Box::new(rtc::stun::message::TransactionId::new()),
                    Box::new(MessageType::new(METHOD_DATA, CLASS_INDICATION)),
                    Box::new(PeerAddress { ip: from.ip(), port: from.port() }),
                    Box::new(Data(bytes.to_vec())),
                ]);
                if built.is_err() {
                    return out.refused.push("could not encode a Data indication".into());
                }
                m.raw
            }
        };
        out.sends.push((listen, client, framed));
    }

    fn channel_data_from_client(&mut self, from: SocketAddr, bytes: &[u8], out: &mut TurnOutput) {
        let mut cd = ChannelData { raw: bytes.to_vec(), ..ChannelData::default() };
        if let Err(e) = cd.decode() {
            return out.refused.push(format!("bad ChannelData: {e}"));
        }
        let Some(a) = self.allocations.get_mut(&from) else {
            return out.refused.push(format!("ChannelData from {from}, which has no allocation"));
        };
        let Some((peer, _)) = a.channels.get(&cd.number.0).copied() else {
            return out.refused.push(format!("channel {:#06x} is not bound", cd.number.0));
        };
        a.bytes_relayed += cd.data.len() as u64;
        out.sends.push((a.relay, peer, cd.data));
    }

    fn message_from_client(&mut self, now: Duration, from: SocketAddr, mut m: Message, out: &mut TurnOutput) {
        if m.typ == BINDING_REQUEST {
            let mut r = Message::new();
            if r.build(&[
                Box::new(m.transaction_id),
                Box::new(BINDING_SUCCESS),
                Box::new(XorMappedAddress { ip: from.ip(), port: from.port() }),
                Box::new(FINGERPRINT),
            ])
            .is_ok()
            {
                out.sends.push((self.listen, from, r.raw));
            }
            return;
        }
        if m.typ.class == CLASS_INDICATION && m.typ.method == METHOD_SEND {
            return self.send_indication(from, &m, out);
        }
        if m.typ.class != CLASS_REQUEST {
            return out.refused.push(format!("unexpected {} from {from}", m.typ));
        }
        let method = m.typ.method;
        let result =
            self.authenticate(now, &mut m).and_then(|(user, key)| self.handle_request(now, from, &m, user, key, out));
        let reply = match result {
            Ok((attrs, key)) => self.success(&m, method, attrs, &key),
            Err(r) => {
                out.notes.push(format!("{} {} to {from}: {}", r.code.0, method, r.reason));
                self.error(now, &m, method, r)
            }
        };
        if let Some(bytes) = reply {
            out.sends.push((self.listen, from, bytes));
        }
    }

    fn fresh_nonce(&mut self, now: Duration) -> String {
        let nonce = format!("n{:x}{:04x}", now.as_millis(), self.nonces.len());
        self.nonces.push((nonce.clone(), now));
        nonce
    }

    /// RFC 8656 §9.2: long-term credentials, checked in the RFC's order.
    fn authenticate(&mut self, now: Duration, m: &mut Message) -> Result<(String, Vec<u8>), Refusal> {
        if !m.contains(ATTR_MESSAGE_INTEGRITY) {
            return Err(refuse(CODE_UNAUTHORIZED, "no MESSAGE-INTEGRITY: credentials are required"));
        }
        let text = |m: &Message, a| TextAttribute::get_from_as(m, a).map(|t| t.text);
        let (Ok(user), Ok(realm), Ok(nonce)) = (text(m, ATTR_USERNAME), text(m, ATTR_REALM), text(m, ATTR_NONCE))
        else {
            return Err(refuse(CODE_BAD_REQUEST, "USERNAME, REALM and NONCE are required with MESSAGE-INTEGRITY"));
        };
        let issued = self.nonces.iter().find(|(n, _)| *n == nonce).map(|(_, t)| *t);
        match issued {
            Some(t) if now.saturating_sub(t) < self.config.nonce_lifetime => {}
            _ => return Err(refuse(CODE_STALE_NONCE, format!("nonce `{nonce}` is stale or unknown"))),
        }
        let Some((_, password)) = self.config.users.iter().find(|(u, _)| *u == user) else {
            return Err(refuse(CODE_UNAUTHORIZED, format!("unknown user `{user}`")));
        };
        let crypto = self.crypto.crypto();
        let key = MessageIntegrity::long_term_integrity_key(user.clone(), realm, password.clone(), crypto)
            .map_err(|e| refuse(CODE_UNAUTHORIZED, e.to_string()))?;
        MessageIntegrity::check(m, &key, crypto).map_err(|_| {
            refuse(CODE_UNAUTHORIZED, format!("wrong password for `{user}` (MESSAGE-INTEGRITY does not match)"))
        })?;
        Ok((user, key))
    }

    #[allow(clippy::type_complexity)]
    fn handle_request(
        &mut self,
        now: Duration,
        from: SocketAddr,
        m: &Message,
        user: String,
        key: Vec<u8>,
        out: &mut TurnOutput,
    ) -> Result<(Vec<Box<dyn Setter>>, Vec<u8>), Refusal> {
        let requested = {
            let mut l = Lifetime::default();
            l.get_from(m).ok().map(|_| l.0)
        };
        let cfg = self.config.clone();
        match m.typ.method {
            METHOD_ALLOCATE => {
                if self.allocations.contains_key(&from) {
                    return Err(refuse(CODE_ALLOC_MISMATCH, "this 5-tuple already has an allocation"));
                }
                let mut t = RequestedTransport::default();
                t.get_from(m).map_err(|_| refuse(CODE_BAD_REQUEST, "REQUESTED-TRANSPORT is missing"))?;
                if t.protocol != PROTO_UDP {
                    return Err(refuse(CODE_UNSUPPORTED_TRANS_PROTO, "only UDP relaying is offered"));
                }
                let lifetime = requested
                    .map(|r| r.min(cfg.max_lifetime))
                    .unwrap_or(cfg.default_lifetime)
                    .max(cfg.default_lifetime);
                let relay = match self.relay_pool.pop_front() {
                    Some(relay) => relay,
                    None if self.pool_only => {
                        return Err(refuse(CODE_INSUFFICIENT_CAPACITY, "every relay socket of this server is in use"));
                    }
                    None => {
                        let relay = SocketAddr::new(self.listen.ip(), self.next_relay_port);
                        self.next_relay_port = self.next_relay_port.wrapping_add(1).max(FIRST_RELAY_PORT);
                        relay
                    }
                };
                self.allocations.insert(
                    from,
                    Allocation {
                        client: from,
                        relay,
                        username: user,
                        expires: now + lifetime,
                        permissions: BTreeMap::new(),
                        channels: BTreeMap::new(),
                        bytes_relayed: 0,
                    },
                );
                out.notes.push(format!("allocated {relay} for {from} for {} s", lifetime.as_secs()));
                Ok((
                    vec![
                        Box::new(RelayedAddress { ip: relay.ip(), port: relay.port() }),
                        Box::new(XorMappedAddress { ip: from.ip(), port: from.port() }),
                        Box::new(Lifetime(lifetime)),
                    ],
                    key,
                ))
            }
            METHOD_REFRESH => {
                let Some(a) = self.allocations.get_mut(&from) else {
                    return Err(refuse(CODE_ALLOC_MISMATCH, "no allocation to refresh"));
                };
                let lifetime = requested.unwrap_or(cfg.default_lifetime).min(cfg.max_lifetime);
                if lifetime.is_zero() {
                    let gone = self.allocations.remove(&from).expect("found above");
                    out.notes.push(format!("allocation {} deleted (Refresh with LIFETIME 0)", gone.relay));
                } else {
                    a.expires = now + lifetime;
                    out.notes.push(format!("allocation {} refreshed for {} s", a.relay, lifetime.as_secs()));
                }
                Ok((vec![Box::new(Lifetime(lifetime))], key))
            }
            METHOD_CREATE_PERMISSION => {
                let Some(a) = self.allocations.get_mut(&from) else {
                    return Err(refuse(CODE_ALLOC_MISMATCH, "no allocation for this client"));
                };
                let mut peer = PeerAddress::default();
                peer.get_from(m).map_err(|_| refuse(CODE_BAD_REQUEST, "XOR-PEER-ADDRESS is missing"))?;
                a.permissions.insert(peer.ip, now + cfg.permission_lifetime);
                out.notes.push(format!("permission for {} on {}", peer.ip, a.relay));
                Ok((vec![], key))
            }
            METHOD_CHANNEL_BIND => {
                let Some(a) = self.allocations.get_mut(&from) else {
                    return Err(refuse(CODE_ALLOC_MISMATCH, "no allocation for this client"));
                };
                let mut n = ChannelNumber::default();
                let mut peer = PeerAddress::default();
                n.get_from(m).map_err(|_| refuse(CODE_BAD_REQUEST, "CHANNEL-NUMBER is missing"))?;
                peer.get_from(m).map_err(|_| refuse(CODE_BAD_REQUEST, "XOR-PEER-ADDRESS is missing"))?;
                let peer = SocketAddr::new(peer.ip, peer.port);
                if !(0x4000..=0x4fff).contains(&n.0) {
                    return Err(refuse(CODE_BAD_REQUEST, format!("channel {:#06x} is outside 0x4000–0x4fff", n.0)));
                }
                let clash = a.channels.iter().any(|(num, (p, _))| (*num == n.0) != (*p == peer));
                if clash {
                    return Err(refuse(CODE_BAD_REQUEST, "that channel or that peer is bound to something else"));
                }
                a.channels.insert(n.0, (peer, now + cfg.channel_lifetime));
                a.permissions.insert(peer.ip(), now + cfg.permission_lifetime);
                out.notes.push(format!("channel {:#06x} → {peer} on {}", n.0, a.relay));
                Ok((vec![], key))
            }
            other => Err(refuse(CODE_BAD_REQUEST, format!("method {other} is not served"))),
        }
    }

    fn send_indication(&mut self, from: SocketAddr, m: &Message, out: &mut TurnOutput) {
        let Some(a) = self.allocations.get_mut(&from) else {
            return out.refused.push(format!("Send indication from {from}, which has no allocation"));
        };
        let mut peer = PeerAddress::default();
        let mut data = Data::default();
        if peer.get_from(m).is_err() || data.get_from(m).is_err() {
            return out.refused.push("Send indication without XOR-PEER-ADDRESS or DATA".into());
        }
        if !a.permissions.contains_key(&peer.ip) {
            return out.refused.push(format!("Send to {} refused: no permission on {}", peer.ip, a.relay));
        }
        a.bytes_relayed += data.0.len() as u64;
        out.sends.push((a.relay, SocketAddr::new(peer.ip, peer.port), data.0));
    }

    fn success(&self, req: &Message, method: Method, attrs: Vec<Box<dyn Setter>>, key: &[u8]) -> Option<Vec<u8>> {
        let mut r = Message::new();
        let mut setters: Vec<Box<dyn Setter>> =
            vec![Box::new(req.transaction_id), Box::new(MessageType::new(method, CLASS_SUCCESS_RESPONSE))];
        setters.extend(attrs);
        r.build(&setters).ok()?;
        MessageIntegrity::new_raw_integrity_with_provider(key.to_vec(), self.crypto.crypto()).add_to(&mut r).ok()?;
        FINGERPRINT.add_to(&mut r).ok()?;
        Some(r.raw)
    }

    fn error(&mut self, now: Duration, req: &Message, method: Method, refusal: Refusal) -> Option<Vec<u8>> {
        let mut r = Message::new();
        let mut setters: Vec<Box<dyn Setter>> = vec![
            Box::new(req.transaction_id),
            Box::new(MessageType::new(method, CLASS_ERROR_RESPONSE)),
            Box::new(ErrorCodeAttribute { code: refusal.code, reason: refusal.reason.into_bytes() }),
        ];
        if refusal.code == CODE_UNAUTHORIZED || refusal.code == CODE_STALE_NONCE {
            let nonce = self.fresh_nonce(now);
            setters.push(Box::new(TextAttribute::new(ATTR_REALM, self.config.realm.clone())));
            setters.push(Box::new(TextAttribute::new(ATTR_NONCE, nonce)));
        }
        r.build(&setters).ok()?;
        Some(r.raw)
    }

    #[cfg(test)]
    fn allocation_of(&self, client: SocketAddr) -> Option<&Allocation> {
        self.allocations.get(&client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::stun::message::TransactionId;

    const CLIENT: &str = "203.0.113.1:5000";
    const PEER: &str = "198.51.100.1:6000";

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn server() -> TurnServer {
        TurnServer::new(a("192.0.2.20:3478"), TurnConfig::default())
    }

    fn parse(bytes: &[u8]) -> Message {
        let mut m = Message::new();
        m.unmarshal_binary(bytes).unwrap();
        m
    }

    fn error_code(bytes: &[u8]) -> u16 {
        let mut e = ErrorCodeAttribute::default();
        e.get_from(&parse(bytes)).unwrap();
        e.code.0
    }

    /// A client-side request: `method` with `attrs`, signed as `user`/`password` when a nonce is given.
    fn request(method: Method, attrs: Vec<Box<dyn Setter>>, auth: Option<(&str, &str, &str)>) -> Vec<u8> {
        let mut setters: Vec<Box<dyn Setter>> =
            vec![Box::new(TransactionId::new()), Box::new(MessageType::new(method, CLASS_REQUEST))];
        setters.extend(attrs);
        let crypto = rtc::crypto::default_provider().unwrap();
        let mut m = Message::new();
        m.build(&setters).unwrap();
        if let Some((user, password, nonce)) = auth {
            for s in [
                TextAttribute::new(ATTR_USERNAME, user.into()),
                TextAttribute::new(ATTR_REALM, "rtc-lab".into()),
                TextAttribute::new(ATTR_NONCE, nonce.into()),
            ] {
                s.add_to(&mut m).unwrap();
            }
            MessageIntegrity::new_long_term_integrity_with_provider(
                user.into(),
                "rtc-lab".into(),
                password.into(),
                crypto.crypto(),
            )
            .unwrap()
            .add_to(&mut m)
            .unwrap();
        }
        m.raw
    }

    fn udp() -> Box<dyn Setter> {
        Box::new(RequestedTransport { protocol: PROTO_UDP })
    }

    /// 401, then an authenticated Allocate: the nonce the server gave and the relayed address.
    fn allocate(s: &mut TurnServer, now: Duration) -> (String, SocketAddr) {
        let out = s.receive(now, a(CLIENT), s.listen, &request(METHOD_ALLOCATE, vec![udp()], None));
        let first = &out.sends[0].2;
        assert_eq!(error_code(first), 401);
        let nonce = TextAttribute::get_from_as(&parse(first), ATTR_NONCE).unwrap().text;
        let out = s.receive(
            now,
            a(CLIENT),
            s.listen,
            &request(METHOD_ALLOCATE, vec![udp()], Some(("learner", "secret", &nonce))),
        );
        let reply = parse(&out.sends[0].2);
        assert_eq!(reply.typ.class, CLASS_SUCCESS_RESPONSE, "{:?}", out.notes);
        let mut relay = RelayedAddress::default();
        relay.get_from(&reply).unwrap();
        (nonce, SocketAddr::new(relay.ip, relay.port))
    }

    #[test]
    fn allocate_asks_for_credentials_then_allocates_a_relayed_address() {
        let mut s = server();
        let (_, relay) = allocate(&mut s, Duration::ZERO);
        assert_eq!(relay, a("192.0.2.20:49152"));
        assert!(s.owns(relay));
    }

    #[test]
    fn wrong_password_and_unknown_user_get_401() {
        let mut s = server();
        let out = s.receive(Duration::ZERO, a(CLIENT), s.listen, &request(METHOD_ALLOCATE, vec![udp()], None));
        let nonce = TextAttribute::get_from_as(&parse(&out.sends[0].2), ATTR_NONCE).unwrap().text;
        for (user, pass) in [("learner", "guess"), ("mallory", "secret")] {
            let out = s.receive(
                Duration::ZERO,
                a(CLIENT),
                s.listen,
                &request(METHOD_ALLOCATE, vec![udp()], Some((user, pass, &nonce))),
            );
            assert_eq!(error_code(&out.sends[0].2), 401, "{user}/{pass}");
            assert!(out.notes[0].contains("401"), "{:?}", out.notes);
        }
        assert!(s.allocation_of(a(CLIENT)).is_none());
    }

    #[test]
    fn a_stale_nonce_gets_438_with_a_fresh_one() {
        let mut s = server();
        s.config.nonce_lifetime = Duration::from_secs(10);
        let out = s.receive(Duration::ZERO, a(CLIENT), s.listen, &request(METHOD_ALLOCATE, vec![udp()], None));
        let nonce = TextAttribute::get_from_as(&parse(&out.sends[0].2), ATTR_NONCE).unwrap().text;
        let out = s.receive(
            Duration::from_secs(11),
            a(CLIENT),
            s.listen,
            &request(METHOD_ALLOCATE, vec![udp()], Some(("learner", "secret", &nonce))),
        );
        let reply = &out.sends[0].2;
        assert_eq!(error_code(reply), 438);
        let fresh = TextAttribute::get_from_as(&parse(reply), ATTR_NONCE).unwrap().text;
        assert_ne!(fresh, nonce);
    }

    #[test]
    fn peers_need_a_permission_and_data_flows_both_ways_once_permitted() {
        let mut s = server();
        let (nonce, relay) = allocate(&mut s, Duration::ZERO);
        // Before CreatePermission, the peer's datagram is refused.
        let out = s.receive(Duration::ZERO, a(PEER), relay, b"hello");
        assert!(out.sends.is_empty() && out.refused[0].contains("no permission"));
        let peer = || Box::new(PeerAddress { ip: a(PEER).ip(), port: a(PEER).port() }) as Box<dyn Setter>;
        let out = s.receive(
            Duration::ZERO,
            a(CLIENT),
            s.listen,
            &request(METHOD_CREATE_PERMISSION, vec![peer()], Some(("learner", "secret", &nonce))),
        );
        assert_eq!(parse(&out.sends[0].2).typ.class, CLASS_SUCCESS_RESPONSE);
        // Peer → relay arrives at the client as a Data indication.
        let out = s.receive(Duration::ZERO, a(PEER), relay, b"hello");
        let (from, to, bytes) = &out.sends[0];
        assert_eq!((*from, *to), (s.listen, a(CLIENT)));
        let mut d = Data::default();
        d.get_from(&parse(bytes)).unwrap();
        assert_eq!(d.0, b"hello");
        // Client → peer with a Send indication leaves from the relayed address.
        let mut m = Message::new();
        m.build(&[
            Box::new(TransactionId::new()),
            Box::new(MessageType::new(METHOD_SEND, CLASS_INDICATION)),
            peer(),
            Box::new(Data(b"back".to_vec())),
        ])
        .unwrap();
        let out = s.receive(Duration::ZERO, a(CLIENT), s.listen, &m.raw);
        assert_eq!(out.sends[0], (relay, a(PEER), b"back".to_vec()));
        // A channel: then the peer's data arrives as ChannelData.
        let out = s.receive(
            Duration::ZERO,
            a(CLIENT),
            s.listen,
            &request(
                METHOD_CHANNEL_BIND,
                vec![Box::new(ChannelNumber(0x4001)), peer()],
                Some(("learner", "secret", &nonce)),
            ),
        );
        assert_eq!(parse(&out.sends[0].2).typ.class, CLASS_SUCCESS_RESPONSE, "{:?}", out.notes);
        let out = s.receive(Duration::ZERO, a(PEER), relay, b"hi");
        assert!(ChannelData::is_channel_data(&out.sends[0].2));
    }

    #[test]
    fn permissions_and_allocations_expire_on_the_simulation_clock() {
        let mut s = server();
        let (nonce, relay) = allocate(&mut s, Duration::ZERO);
        let peer = Box::new(PeerAddress { ip: a(PEER).ip(), port: a(PEER).port() });
        s.receive(
            Duration::ZERO,
            a(CLIENT),
            s.listen,
            &request(METHOD_CREATE_PERMISSION, vec![peer], Some(("learner", "secret", &nonce))),
        );
        assert!(s.receive(Duration::from_secs(299), a(PEER), relay, b"x").refused.is_empty());
        let out = s.receive(Duration::from_secs(301), a(PEER), relay, b"x");
        assert!(out.refused[0].contains("no permission"));
        assert!(out.notes.iter().any(|n| n.contains("permission") && n.contains("expired")));
        s.expire(Duration::from_secs(601));
        assert!(s.allocation_of(a(CLIENT)).is_none(), "allocation lifetime is 600 s");
        assert!(s.take_notes().iter().any(|n| n.contains("allocation") && n.contains("expired")));
    }

    #[test]
    fn refresh_with_lifetime_zero_deletes_and_a_second_allocate_is_a_mismatch() {
        let mut s = server();
        let (nonce, _) = allocate(&mut s, Duration::ZERO);
        let again = s.receive(
            Duration::ZERO,
            a(CLIENT),
            s.listen,
            &request(METHOD_ALLOCATE, vec![udp()], Some(("learner", "secret", &nonce))),
        );
        assert_eq!(error_code(&again.sends[0].2), 437);
        let out = s.receive(
            Duration::ZERO,
            a(CLIENT),
            s.listen,
            &request(METHOD_REFRESH, vec![Box::new(Lifetime(Duration::ZERO))], Some(("learner", "secret", &nonce))),
        );
        assert_eq!(parse(&out.sends[0].2).typ.class, CLASS_SUCCESS_RESPONSE);
        assert!(s.allocation_of(a(CLIENT)).is_none());
    }
}
