//! The long-polling client: ask, let the server hold the request until something happens
//! (or its timeout passes), and ask again at once.

use std::sync::Arc;
use std::time::Duration;

use super::ClientCtx;
use super::http::HttpConn;
use super::polling::{PollPath, fetch};

/// Pause after a failed request, so a dead server is not hammered.
const ERROR_BACKOFF: Duration = Duration::from_millis(200);

pub async fn run(ctx: Arc<ClientCtx>, path: PollPath, server_timeout: Duration) {
    let mut conn = HttpConn::new(ctx.clone());
    let mut since = 0;
    let extra = format!("&timeout_ms={}", server_timeout.as_millis());
    loop {
        let url = path.with_since(since, &extra);
        let res = tokio::select! {
            r = fetch(&mut conn, &url, path.lab_protocol) => r,
            _ = ctx.stopped() => break,
        };
        match res {
            Ok(answer) => answer.deliver(&ctx, &mut since),
            Err(e) => {
                ctx.note(format!("long poll failed: {e}"));
                tokio::select! {
                    _ = tokio::time::sleep(ERROR_BACKOFF) => {}
                    _ = ctx.stopped() => break,
                }
            }
        }
    }
    conn.close();
}
