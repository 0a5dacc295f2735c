//! A minimal HTTP/1.1 client connection (hyper) that reconnects when its connection is gone.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response, body::Incoming};
use hyper_util::rt::TokioIo;
use rtclab_wire::carriers::{CarrierKind, CarrierQueue};

use super::ClientCtx;
use crate::{Error, Result};

/// Largest response body a client reads whole (polling batches).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// One keep-alive HTTP connection of a client, re-opened on demand.
#[derive(Debug)]
pub struct HttpConn {
    ctx: Arc<ClientCtx>,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Carrier queue of the open connection.
    carriers: Option<CarrierQueue>,
}

impl HttpConn {
    pub fn new(ctx: Arc<ClientCtx>) -> Self {
        HttpConn { ctx, sender: None, carriers: None }
    }

    async fn sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let (stream, carriers) = self.ctx.connect().await?;
            let io = TokioIo::new(stream);
            let (sender, conn) =
                http1::handshake(io).await.map_err(|e| Error::Client(format!("HTTP handshake failed: {e}")))?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            self.sender = Some(sender);
            self.carriers = Some(carriers);
        }
        self.sender.as_mut().ok_or_else(|| Error::Client("no connection".into()))
    }

    /// Sends a request for `path` and returns the response with its body still streaming.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Response<Incoming>> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.ctx.target.host)
            .header("user-agent", concat!("rtc-lab/", env!("CARGO_PKG_VERSION")));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body)).map_err(|e| Error::Client(format!("bad request for {path}: {e}")))?;
        let sender = self.sender().await?;
        sender.ready().await.map_err(|e| Error::Client(format!("connection lost: {e}")))?;
        match sender.send_request(req).await {
            Ok(resp) => Ok(resp),
            Err(e) => {
                self.sender = None;
                Err(Error::Client(format!("request {method} {path} failed: {e}")))
            }
        }
    }

    /// The trace event of the response just read whole on this connection (see
    /// [`rtclab_wire::carriers`]). Call it once per response, after its body is read: the
    /// tap records a response when its last byte has passed.
    pub fn take_response_carrier(&self) -> Option<u64> {
        self.carriers.as_ref()?.take(CarrierKind::HttpResponse)
    }

    /// The carrier queue of the open connection (streams take their events from it).
    pub fn carriers(&self) -> Option<CarrierQueue> {
        self.carriers.clone()
    }

    /// Drops the connection (the next request opens a new one).
    pub fn close(&mut self) {
        self.sender = None;
    }
}

/// Reads a whole body, refusing more than [`MAX_BODY`] bytes.
pub async fn read_body(resp: Response<Incoming>) -> Result<Bytes> {
    Limited::new(resp.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| Error::Client(format!("reading the response body failed: {e}")))
}

/// Publishes the messages a client is told to send, as `POST /publish` on its own
/// connection (the receiving connection of SSE or long polling is busy).
pub async fn publish_loop(ctx: Arc<ClientCtx>, mut rx: super::PublishRx) {
    let mut conn = HttpConn::new(ctx.clone());
    loop {
        let cmd = tokio::select! {
            c = rx.recv() => match c { Some(c) => c, None => break },
            _ = ctx.stopped() => break,
        };
        let req = ctx.publish(cmd.body);
        let body = Bytes::from(serde_json::to_vec(&req).unwrap_or_default());
        let headers = [("content-type", "application/json")];
        match conn.send("POST", "/publish", &headers, body).await {
            Ok(resp) => {
                let status = resp.status();
                if let Err(e) = read_body(resp).await {
                    ctx.note(format!("publish: {e}"));
                } else if !status.is_success() {
                    ctx.note(format!("publish refused: {status}"));
                }
            }
            Err(e) => ctx.note(format!("publish failed: {e}")),
        }
    }
    conn.close();
}
