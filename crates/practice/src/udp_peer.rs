//! One lab peer (`rtclab_natlab::peer::Peer`: a real sans-IO `RTCPeerConnection` and its
//! gathering) driven on a real UDP socket of 127.0.0.1, with real time and signalling through
//! the lab's WebSocket relay. Datagrams leave after the distance to where they go: the
//! server's address (TURN) is `Distances::server` away, any other peer `Distances::peers`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rtclab_natlab::peer::{ChannelOptions, Peer, PeerConfig, PeerEvent};
use rtclab_natlab::signal::Signal;
use rtclab_techniques::signalling::SignalLink;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::pacer::{Dropped, LinkShape, Pacer, sleep_until_opt};

/// One-way delays between the places of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Distances {
    /// Peer to peer.
    pub peers: Duration,
    /// A peer to the server (signalling, WebSocket relay, TURN).
    pub server: Duration,
}

impl Distances {
    pub const NONE: Distances = Distances { peers: Duration::ZERO, server: Duration::ZERO };
}

/// What the application asks of its peer.
#[derive(Debug)]
pub enum Command {
    /// Send a text message on the data channel.
    Send(String),
    /// Send a file in chunks of this many bytes, with flow control.
    SendFile(Arc<[u8]>, usize),
}

/// How a peer's data channel and link behave, beyond the defaults (an ordered, reliable
/// channel; an answerer that echoes; a link that only delays).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tuning {
    pub channel: ChannelOptions,
    /// The answerer echoes text messages unless this is set.
    pub no_echo: bool,
    pub link: LinkShape,
}

/// A stopped peer and what its link dropped.
#[derive(Debug)]
pub struct Stopped {
    pub peer: Peer,
    pub dropped: Dropped,
}

/// A peer's event, stamped with the time since the peer started.
pub type Stamped = (Duration, PeerEvent);

/// A running peer: commands in, events out. Dropping it stops the peer.
#[derive(Debug)]
pub struct RunningPeer {
    pub commands: mpsc::UnboundedSender<Command>,
    pub events: mpsc::UnboundedReceiver<Stamped>,
    pub host: SocketAddr,
    task: JoinHandle<Stopped>,
}

impl RunningPeer {
    /// Binds a socket on 127.0.0.1, builds the peer on it (`cfg.host` is overwritten with the
    /// socket's address) and starts it: gathering and, for the offerer, the offer.
    pub async fn start(
        cfg: PeerConfig,
        link: SignalLink,
        server_ip: IpAddr,
        distances: Distances,
    ) -> Result<RunningPeer, String> {
        Self::start_tuned(cfg, link, server_ip, distances, Tuning::default()).await
    }

    /// [`RunningPeer::start`] with a channel, echo and link of its own.
    pub async fn start_tuned(
        mut cfg: PeerConfig,
        link: SignalLink,
        server_ip: IpAddr,
        distances: Distances,
        tuning: Tuning,
    ) -> Result<RunningPeer, String> {
        let socket = UdpSocket::bind("127.0.0.1:0").await.map_err(|e| format!("binding a UDP socket: {e}"))?;
        let host = socket.local_addr().map_err(|e| e.to_string())?;
        cfg.host = host;
        let epoch = Instant::now();
        let mut peer = Peer::new(cfg, epoch.into_std())?;
        peer.set_channel_options(tuning.channel);
        peer.set_echo(!tuning.no_echo);
        let (commands, commands_in) = mpsc::unbounded_channel();
        let (events_out, events) = mpsc::unbounded_channel();
        let driver = Driver {
            peer,
            socket: Arc::new(socket),
            link,
            server_ip,
            distances,
            epoch,
            events: events_out,
            shape: tuning.link,
        };
        let task = tokio::spawn(driver.run(commands_in));
        Ok(RunningPeer { commands, events, host, task })
    }

    /// Waits for an event `pick` accepts (others are passed to `seen`), or `timeout`.
    pub async fn wait_for<T>(
        &mut self,
        timeout: Duration,
        mut seen: impl FnMut(&Stamped),
        mut pick: impl FnMut(&Stamped) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            let e = tokio::time::timeout_at(deadline, self.events.recv()).await.ok()??;
            seen(&e);
            if let Some(t) = pick(&e) {
                return Some(t);
            }
        }
    }

    /// Stops the peer and hands it back (its milestones and tables) with its link's drops.
    pub async fn stop(self) -> Option<Stopped> {
        drop(self.commands);
        self.task.await.ok()
    }
}

struct Driver {
    peer: Peer,
    socket: Arc<UdpSocket>,
    link: SignalLink,
    server_ip: IpAddr,
    distances: Distances,
    epoch: Instant,
    events: mpsc::UnboundedSender<Stamped>,
    shape: LinkShape,
}

impl Driver {
    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) -> Stopped {
        let mut pacer = Pacer::shaped(self.shape);
        let mut buf = vec![0u8; 65_536];
        if let Err(e) = self.peer.start(self.now()) {
            self.peer.events.push_back(PeerEvent::Problem(e));
        }
        loop {
            self.flush(&mut pacer);
            let wake = self.peer.poll_timeout().map(|t| self.epoch + t);
            tokio::select! {
                got = self.socket.recv_from(&mut buf) => {
                    if let Ok((n, from)) = got {
                        let now = self.now();
                        self.peer.on_datagram(now, from, buf[..n].to_vec());
                    }
                }
                text = self.link.incoming.recv() => match text {
                    Some(text) => {
                        let now = self.now();
                        match Signal::from_json(&text) {
                            Ok(signal) => self.peer.on_signal(now, signal),
                            Err(e) => self.peer.events.push_back(PeerEvent::Problem(e)),
                        }
                    }
                    None => break,
                },
                cmd = commands.recv() => match cmd {
                    Some(Command::Send(text)) => {
                        let now = self.now();
                        if let Err(e) = self.peer.send_text(now, text) {
                            self.peer.events.push_back(PeerEvent::Problem(e));
                        }
                    }
                    Some(Command::SendFile(data, chunk)) => {
                        let now = self.now();
                        if let Err(e) = self.peer.send_file(now, data, chunk) {
                            self.peer.events.push_back(PeerEvent::Problem(e));
                        }
                    }
                    None => break,
                },
                _ = sleep_until_opt(wake) => {
                    let now = self.now();
                    self.peer.handle_timeout(now);
                }
            }
        }
        self.flush(&mut pacer);
        Stopped { dropped: pacer.dropped, peer: self.peer }
    }

    fn flush(&mut self, pacer: &mut Pacer) {
        while let Some((_, to, bytes)) = self.peer.outbox.pop_front() {
            let delay = if to.ip() == self.server_ip { self.distances.server } else { self.distances.peers };
            pacer.send(&self.socket, to, bytes, delay);
        }
        while let Some(signal) = self.peer.signals.pop_front() {
            let _ = self.link.outgoing.send(signal.to_json());
        }
        let now = self.now();
        while let Some(e) = self.peer.events.pop_front() {
            let _ = self.events.send((now, e));
        }
    }
}
