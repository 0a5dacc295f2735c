//! The signalling service of a live NAT-lab run, staged like any experiment: the lab server
//! and the tap on loopback, and one real WebSocket client per peer in one room of the
//! server's relay (`/signal`). The peers' offer, answer and candidates cross real sockets
//! and the tap, so their frames are on the trace like every other technique's.
//!
//! Each peer gets a [`SignalLink`]: text it puts in `outgoing` is sent as one WebSocket text
//! message; every text message the relay passes to it arrives on `incoming`.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rtclab_trace::Recorder;
use rtclab_wire::carriers::CarrierKind;
use rtclab_wire::delay::DelayLink;
use rtclab_wire::tap::{ClientDirectory, Tap, TapConfig};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::client::{ClientCtx, Ledger, Target};
use crate::counting::ByteCounters;
use crate::hub::Hub;
use crate::server::{self, ServerConfig, close_code};
use crate::{Error, Result};

/// How long each closing step may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a WebSocket handshake through the tap may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// One peer's end of the signalling connection.
#[derive(Debug)]
pub struct SignalLink {
    pub outgoing: mpsc::UnboundedSender<String>,
    pub incoming: mpsc::UnboundedReceiver<String>,
}

/// The server, the tap and the connected clients.
#[derive(Debug)]
pub struct Signalling {
    experiment: Arc<str>,
    recorder: Recorder,
    directory: ClientDirectory,
    counters: Arc<ByteCounters>,
    ledger: Arc<Ledger>,
    tap: Tap,
    server: server::Running,
    _link: Option<DelayLink>,
    stop: watch::Sender<bool>,
    clients: JoinSet<()>,
}

impl Signalling {
    /// Starts the lab server and a tap in front of it, recording into `recorder` as `experiment`.
    pub async fn start(recorder: &Recorder, experiment: &str) -> Result<Signalling> {
        Self::start_away(recorder, experiment, Duration::ZERO).await
    }

    /// Like [`Signalling::start`], with the server `one_way` away from its clients (a
    /// [`DelayLink`] between the tap and the server; the tap records at the clients' side).
    pub async fn start_away(recorder: &Recorder, experiment: &str, one_way: Duration) -> Result<Signalling> {
        let server = server::Running::start(Hub::default(), ServerConfig::default()).await?;
        let link = if one_way.is_zero() {
            None
        } else {
            Some(DelayLink::start(server.addr, one_way).await.map_err(Error::io("starting the delay link"))?)
        };
        let experiment: Arc<str> = Arc::from(experiment);
        let directory = ClientDirectory::default();
        let tap = Tap::start(TapConfig {
            experiment: experiment.clone(),
            upstream: link.as_ref().map_or(server.addr, DelayLink::addr),
            recorder: recorder.clone(),
            directory: directory.clone(),
        })
        .await
        .map_err(Error::io("starting the tap"))?;
        Ok(Signalling {
            experiment,
            recorder: recorder.clone(),
            directory,
            counters: Arc::new(ByteCounters::default()),
            ledger: Arc::new(Ledger::default()),
            tap,
            server,
            _link: link,
            stop: watch::channel(false).0,
            clients: JoinSet::new(),
        })
    }

    /// Where clients connect (the tap).
    pub fn addr(&self) -> std::net::SocketAddr {
        self.tap.addr()
    }

    /// Connects client `id` to `room` as `peer`; returns once the relay has accepted it.
    pub async fn join(&mut self, id: u32, room: &str, peer: &str) -> Result<SignalLink> {
        let ctx = Arc::new(ClientCtx {
            id,
            target: Target { addr: self.tap.addr(), host: self.tap.addr().to_string() },
            recorder: self.recorder.clone(),
            experiment: self.experiment.clone(),
            directory: self.directory.clone(),
            counters: self.counters.clone(),
            ledger: self.ledger.clone(),
            stop: self.stop.subscribe(),
        });
        let (stream, carriers) = ctx.connect().await?;
        let url = format!("ws://{}/signal?room={room}&peer={peer}", ctx.target.host);
        let handshake = tokio_tungstenite::client_async(url, stream);
        let (mut ws, _) = tokio::time::timeout(CONNECT_TIMEOUT, handshake)
            .await
            .map_err(|_| Error::Client(format!("the signalling server did not answer {peer}'s handshake in 5 s")))?
            .map_err(|e| Error::Client(format!("{peer} could not join the signalling room: {e}")))?;
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<String>();
        let (delivered, incoming) = mpsc::unbounded_channel::<String>();
        self.clients.spawn(async move {
            loop {
                tokio::select! {
                    text = to_send.recv() => match text {
                        Some(text) => if ws.send(WsMessage::Text(text.into())).await.is_err() { break },
                        None => break,
                    },
                    msg = ws.next() => match msg {
                        Some(Ok(WsMessage::Text(text))) => {
                            // Stay in step with the tap's queue of message carriers.
                            let _ = carriers.take(CarrierKind::WsMessage);
                            let _ = delivered.send(text.to_string());
                        }
                        Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => {
                            ctx.note("the signalling connection ended");
                            return;
                        }
                        Some(Ok(_)) => {}
                    },
                    _ = ctx.stopped() => break,
                }
            }
            let frame = CloseFrame { code: CloseCode::from(close_code::NORMAL), reason: "call over".into() };
            let _ = ws.close(Some(frame)).await;
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, async { while let Some(Ok(_)) = ws.next().await {} }).await;
        });
        Ok(SignalLink { outgoing, incoming })
    }

    /// Closes the clients politely (1000), then the tap and the server.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        let _ =
            tokio::time::timeout(CLOSE_TIMEOUT * 2, async { while self.clients.join_next().await.is_some() {} }).await;
        self.tap.wait_idle(CLOSE_TIMEOUT).await;
        self.server.stop(CLOSE_TIMEOUT).await;
        self.tap.shutdown(CLOSE_TIMEOUT).await;
    }
}

#[cfg(test)]
mod tests {
    use rtclab_trace::{EventKind, Recorder};

    use super::*;

    #[tokio::test]
    async fn two_peers_exchange_messages_through_the_relay_and_the_tap_sees_the_frames() {
        let recorder = Recorder::with_capacity(10_000);
        let mut sig = Signalling::start(&recorder, "webrtc").await.unwrap();
        let a = sig.join(0, "call", "A").await.unwrap();
        let mut b = sig.join(1, "call", "B").await.unwrap();
        let offer = r#"{"type":"offer","sdp":"v=0"}"#;
        a.outgoing.send(offer.into()).unwrap();
        let got = tokio::time::timeout(Duration::from_secs(5), b.incoming.recv()).await.unwrap().unwrap();
        assert_eq!(got, offer);
        b.outgoing.send("not json".into()).unwrap();
        let err = tokio::time::timeout(Duration::from_secs(5), b.incoming.recv()).await.unwrap().unwrap();
        assert!(err.contains("not JSON"), "{err}");
        sig.shutdown().await;
        let texts: Vec<String> = recorder
            .events_since(0)
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::WsFrame { payload, .. } => payload.text.clone(),
                _ => None,
            })
            .collect();
        // The offer crossed the tap twice: A → server, server → B.
        assert_eq!(texts.iter().filter(|t| t.as_str() == offer).count(), 2, "{texts:?}");
    }
}
