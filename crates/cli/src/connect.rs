//! `rtc-lab connect`: trace a server the user runs, through the tap, with the lab's clients
//! and decoders — what Postman or websocat do, plus every frame and event decoded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rtclab_techniques::client::polling::PollPath;
use rtclab_techniques::client::websocket::WsOptions;
use rtclab_techniques::client::{self, ClientCtx, Ledger, Target};
use rtclab_techniques::counting::ByteCounters;
use rtclab_trace::{Recorder, TraceEvent};
use rtclab_wire::tap::{ClientDirectory, Tap, TapConfig};
use tokio::sync::watch;

/// Which client to run against the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// GET the URL on an interval.
    Poll,
    /// GET the URL again as soon as each response arrives.
    LongPoll,
    /// Open an event stream, reconnecting with Last-Event-ID like EventSource.
    Sse,
    /// Open a WebSocket and print every frame.
    Ws,
}

/// Errors of `connect`.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{url:?} is not a URL: {why}. Example: http://127.0.0.1:8080/events or ws://127.0.0.1:8080/ws")]
    BadUrl { url: String, why: String },
    #[error(
        "{url:?} uses TLS ({scheme}); the tap can only decode what it can read, and TLS bytes are encrypted. Point it at a plain {plain}:// endpoint (for example a local development server)"
    )]
    Tls { url: String, scheme: String, plain: &'static str },
    #[error("{mode} needs a {want}:// URL, not {url:?}")]
    WrongScheme { mode: &'static str, want: &'static str, url: String },
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        host: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot connect to {addr}: {source}. Is the server running?")]
    Unreachable {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("starting the tap failed: {0}")]
    Tap(#[source] std::io::Error),
}

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub authority: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Parses `url` for `mode`, refusing TLS and mismatched schemes with a clear reason.
pub fn parse_url(mode: Mode, url: &str) -> Result<Endpoint, ConnectError> {
    let bad = |why: &str| ConnectError::BadUrl { url: url.to_owned(), why: why.to_owned() };
    let uri: http::Uri = url.parse().map_err(|e: http::uri::InvalidUri| bad(&e.to_string()))?;
    let scheme = uri.scheme_str().ok_or_else(|| bad("it has no scheme"))?.to_ascii_lowercase();
    let (want, mode_name) = match mode {
        Mode::Ws => ("ws", "ws"),
        Mode::Poll => ("http", "poll"),
        Mode::LongPoll => ("http", "long-poll"),
        Mode::Sse => ("http", "sse"),
    };
    match scheme.as_str() {
        "https" | "wss" => {
            return Err(ConnectError::Tls {
                url: url.to_owned(),
                scheme,
                plain: if want == "ws" { "ws" } else { "http" },
            });
        }
        s if s == want => {}
        _ => return Err(ConnectError::WrongScheme { mode: mode_name, want, url: url.to_owned() }),
    }
    let authority = uri.authority().ok_or_else(|| bad("it has no host"))?;
    let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = authority.port_u16().unwrap_or(80);
    let path = uri.path_and_query().map_or("/".to_owned(), |p| p.as_str().to_owned());
    Ok(Endpoint { authority: authority.as_str().to_owned(), host, port, path })
}

/// Options of a `connect` run.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub mode: Mode,
    pub url: String,
    pub interval: Duration,
    pub duration: Option<Duration>,
    pub send: Vec<String>,
    pub max_events: Option<u64>,
}

/// Runs the client through a tap and calls `on_event` for every traced event, until the
/// duration passes, `max_events` were seen, or Ctrl-C.
pub async fn run(opts: ConnectOptions, mut on_event: impl FnMut(&TraceEvent)) -> Result<Summary, ConnectError> {
    let ep = parse_url(opts.mode, &opts.url)?;
    let addr = tokio::net::lookup_host((ep.host.as_str(), ep.port))
        .await
        .map_err(|source| ConnectError::Resolve { host: ep.host.clone(), source })?
        .next()
        .ok_or_else(|| ConnectError::Resolve {
            host: ep.host.clone(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        })?;
    // No probe connection first: a server that serves a single connection would answer the
    // probe and miss the traced one. An unreachable server shows on the traced connection
    // itself (the tap notes that it could not reach it).
    let recorder = Recorder::new();
    let experiment: Arc<str> = Arc::from("connect");
    let directory = ClientDirectory::default();
    let tap = Tap::start(TapConfig {
        experiment: experiment.clone(),
        upstream: addr,
        recorder: recorder.clone(),
        directory: directory.clone(),
    })
    .await
    .map_err(ConnectError::Tap)?;
    let (_, mut live) = recorder.subscribe();
    let (stop_tx, stop_rx) = watch::channel(false);
    let ctx = Arc::new(ClientCtx {
        id: 0,
        target: Target { addr: tap.addr(), host: ep.authority.clone() },
        recorder: recorder.clone(),
        experiment,
        directory,
        counters: Arc::new(ByteCounters::default()),
        ledger: Arc::new(Ledger::default()),
        stop: stop_rx,
    });
    let path = ep.path.clone();
    let client = match opts.mode {
        Mode::Poll => tokio::spawn(client::polling::run(
            ctx,
            PollPath { path, lab_protocol: false },
            opts.interval,
            Duration::ZERO,
        )),
        Mode::LongPoll => {
            tokio::spawn(client::long_polling::run(ctx, PollPath { path, lab_protocol: false }, opts.interval))
        }
        Mode::Sse => tokio::spawn(client::sse::run(ctx, path, false)),
        Mode::Ws => {
            let o = WsOptions {
                path,
                lab_protocol: false,
                close: (1000, "bye".into()),
                reconnect: false,
                greet: opts.send.clone(),
            };
            tokio::spawn(client::websocket::run(ctx, o, None))
        }
    };

    let mut out = Printed { recorder: recorder.clone(), next_seq: 0, seen: 0, missed: 0, max: opts.max_events };
    let deadline = async {
        match opts.duration {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let mut client = client;
    let mut client_done = false;
    loop {
        tokio::select! {
            // The broadcast only wakes us; events are read from the recorder in order, so a
            // slow printer catches up instead of losing events.
            ev = live.recv() => match ev {
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if let Some(reason) = out.print_new(&mut on_event) {
                        let _ = stop_tx.send(true);
                        tap.shutdown(Duration::from_secs(1)).await;
                        return Err(ConnectError::Unreachable { addr, source: std::io::Error::other(reason) });
                    }
                    if out.full() { break }
                }
                Err(_) => break,
            },
            _ = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = &mut client, if !client_done => client_done = true,
        }
        if client_done && tap.open_connections() == 0 {
            break;
        }
    }
    // Stop politely, then print what the closing produced.
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(3), client).await;
    tap.wait_idle(Duration::from_secs(3)).await;
    out.print_new(&mut on_event);
    tap.shutdown(Duration::from_secs(1)).await;
    Ok(Summary { events: out.seen, missed: out.missed })
}

/// What `connect` printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub events: u64,
    /// Events the bounded recorder dropped before they could be printed.
    pub missed: u64,
}

/// Prints the recorder's events in sequence order, each once.
struct Printed {
    recorder: Recorder,
    next_seq: u64,
    seen: u64,
    missed: u64,
    max: Option<u64>,
}

impl Printed {
    fn full(&self) -> bool {
        self.max.is_some_and(|m| self.seen >= m)
    }

    /// Prints what is new; returns the tap's reason when it could not reach the server
    /// before any connection opened.
    fn print_new(&mut self, on_event: &mut impl FnMut(&TraceEvent)) -> Option<String> {
        for e in self.recorder.events_since(self.next_seq) {
            if self.full() {
                return None;
            }
            self.missed += e.seq - self.next_seq;
            self.next_seq = e.seq + 1;
            on_event(&e);
            self.seen += 1;
            if let rtclab_trace::EventKind::Note { text } = &e.kind
                && text.contains("could not reach the server")
            {
                return Some(text.trim_start_matches("tap: ").to_owned());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_for_scheme_and_tls() {
        let ep = parse_url(Mode::Sse, "http://127.0.0.1:8080/events?x=1").unwrap();
        assert_eq!((ep.host.as_str(), ep.port, ep.path.as_str()), ("127.0.0.1", 8080, "/events?x=1"));
        assert_eq!(parse_url(Mode::Ws, "ws://localhost/ws").unwrap().port, 80);
        assert!(matches!(parse_url(Mode::Ws, "wss://example.com/"), Err(ConnectError::Tls { .. })));
        assert!(matches!(parse_url(Mode::Sse, "ws://x/"), Err(ConnectError::WrongScheme { .. })));
        let err = parse_url(Mode::Poll, "not a url").unwrap_err().to_string();
        assert!(err.contains("Example:"), "{err}");
    }
}
