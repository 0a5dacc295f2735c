//! The broker and the registry on a real Redis (`--redis URL`).
//!
//! Keys, all under one prefix per run (`rtclab:<8 letters>`), so runs never see each other:
//! - `P:meta:{channel}` — a hash: the channel's `epoch` and `top` offset;
//! - `P:stream:{channel}` — a Redis Stream of publications (`o` offset, `d` data), trimmed to
//!   the history size (`MAXLEN`) and age (`MINID`, from Redis's own clock);
//! - Pub/Sub: `P:pubs` (every publication), `P:direct` (direct messages every node looks at),
//!   `P:node:N` (direct messages the registry routed to node N);
//! - `P:users` (user → node), `P:sessions` (token → user), `P:alive:N` (node N's heartbeat,
//!   expiring after `HEARTBEAT_TTL`).
//!
//! Publishing is one Lua script — next offset, `XADD`, trim, `PUBLISH` — so offsets and the
//! order nodes hear them in are decided together. A Redis restart without persistence loses
//! the meta hash: the next script creates a new epoch, and clients that ask to recover are
//! told their epoch is gone.
//!
//! When a node's Pub/Sub connection breaks it cannot know what it missed: it tells every
//! client (`Fanout::Lost`, the node closes their connections with 1013 so they recover
//! elsewhere) and subscribes again with backoff.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use rand::SeedableRng;
use rand::rngs::StdRng;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script, Value};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};

use crate::broker::{Broker, BrokerError, BrokerResult, Delivery, Direct, FANOUT_CAPACITY, Fanout};
use crate::registry::{HEARTBEAT_TTL, Lookup, Registry, RegistryEntry};
use crate::stream::{HistoryLimits, NotRecovered, Publication, Recovery, StreamPosition, new_epoch, replayable};

/// How long connecting to Redis may take before the run gives up (and says why).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The start of both stream scripts: the channel's epoch (created with the fresh one given when
/// the meta hash is missing — a new stream, or a Redis that lost it), and the history trimmed
/// to its age by Redis's own clock. KEYS[1] meta hash, KEYS[2] stream; ARGV[1] a fresh epoch,
/// ARGV[2] the history's age limit in ms.
macro_rules! stream_prelude {
    () => {
        r"
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'top', 0)
end
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('XTRIM', KEYS[2], 'MINID', now_ms - tonumber(ARGV[2]))
"
    };
}

/// ARGV[3] data, ARGV[4] history size, ARGV[5] the Pub/Sub channel, ARGV[6] the channel's name.
const PUBLISH: &str = concat!(
    stream_prelude!(),
    r"
local top = redis.call('HINCRBY', KEYS[1], 'top', 1)
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], '*', 'o', top, 'd', ARGV[3])
redis.call('PUBLISH', ARGV[5], cjson.encode({c = ARGV[6], e = epoch, o = top, d = ARGV[3]}))
return {epoch, top}
"
);

/// The position, and when the client's epoch matches and it missed no more than the
/// recovery limit, the newest `top - offset` entries — read in the same script, so no
/// publication slips in between. ARGV[3] the client's epoch, ARGV[4] its offset, ARGV[5] the
/// recovery limit.
const RECOVER: &str = concat!(
    stream_prelude!(),
    r"
local top = tonumber(redis.call('HGET', KEYS[1], 'top'))
local entries = {}
local from = tonumber(ARGV[4])
if ARGV[3] == epoch and from < top and top - from <= tonumber(ARGV[5]) then
  entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', top - from)
end
return {epoch, top, entries}
"
);

const UNREGISTER: &str = r"
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
";

/// Connects to `url` or says why not (the URL and the reason), within `CONNECT_TIMEOUT`.
pub async fn connect(url: &str) -> BrokerResult<(redis::Client, ConnectionManager)> {
    let client = redis::Client::open(url).map_err(|e| {
        BrokerError(format!("--redis {url}: not a Redis URL ({e}); expected e.g. redis://127.0.0.1:6379"))
    })?;
    let unreachable = |why: String| BrokerError(format!("--redis {url}: cannot reach Redis ({why})"));
    let not_redis = |e: redis::RedisError| {
        if e.kind() == redis::ErrorKind::Parse {
            BrokerError(format!("--redis {url}: something answered there, but not in Redis's protocol"))
        } else {
            unreachable(e.to_string())
        }
    };
    let late = || unreachable(format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()));
    // One plain connection first: it fails at once with the reason (refused, auth, …), where
    // the connection manager would keep retrying.
    let mut probe = tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection())
        .await
        .map_err(|_| late())?
        .map_err(not_redis)?;
    let pong: String = redis::cmd("PING").query_async(&mut probe).await.map_err(not_redis)?;
    if pong != "PONG" {
        return Err(unreachable(format!("PING answered {pong:?}")));
    }
    let manager = tokio::time::timeout(CONNECT_TIMEOUT, ConnectionManager::new(client.clone()))
        .await
        .map_err(|_| late())?
        .map_err(|e| unreachable(e.to_string()))?;
    Ok((client, manager))
}

/// A fresh key prefix for one run.
pub fn run_prefix(seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed ^ std::process::id() as u64 ^ now_nanos());
    format!("rtclab:{}", new_epoch(&mut rng))
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

fn failed(what: &str, e: redis::RedisError) -> BrokerError {
    BrokerError(format!("Redis {what} failed: {e}"))
}

/// A publication as the publish script sends it over Pub/Sub.
#[derive(Debug, Serialize, Deserialize)]
struct WirePub {
    c: String,
    e: String,
    o: u64,
    d: String,
}

/// One node's (or the publisher's) handle on the Redis broker.
#[derive(Debug, Clone)]
pub struct RedisBroker {
    url: String,
    prefix: String,
    limits: HistoryLimits,
    con: ConnectionManager,
    fanout: broadcast::Sender<Arc<Fanout>>,
    /// Whether the Pub/Sub subscription stands (always for a handle without one).
    linked: Arc<AtomicBool>,
    rng: Arc<std::sync::Mutex<StdRng>>,
    /// Stops the subscriber task when the last handle is gone.
    _stop: Arc<watch::Sender<bool>>,
}

impl RedisBroker {
    /// Connects; `node` (numbered from 0) also subscribes to that node's direct messages.
    /// Without a node (the publisher) nothing is subscribed.
    pub async fn connect(url: &str, prefix: &str, limits: HistoryLimits, node: Option<usize>) -> BrokerResult<Self> {
        let (client, con) = connect(url).await?;
        let fanout = broadcast::channel(FANOUT_CAPACITY).0;
        let (stop, stopped) = watch::channel(false);
        let linked = Arc::new(AtomicBool::new(node.is_none()));
        if let Some(n) = node {
            let topics = vec![format!("{prefix}:pubs"), format!("{prefix}:direct"), format!("{prefix}:node:{n}")];
            let (ready_tx, ready) = tokio::sync::oneshot::channel();
            tokio::spawn(listen(client, topics, fanout.clone(), linked.clone(), stopped, Some(ready_tx)));
            // Nothing is published to this node before its subscription stands.
            ready.await.map_err(|_| BrokerError(format!("--redis {url}: the Pub/Sub subscription failed")))??;
        }
        Ok(RedisBroker {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            limits,
            con,
            fanout,
            linked,
            rng: Arc::new(std::sync::Mutex::new(StdRng::seed_from_u64(now_nanos()))),
            _stop: Arc::new(stop),
        })
    }

    fn fresh_epoch(&self) -> String {
        new_epoch(&mut *self.rng.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn keys(&self, channel: &str) -> (String, String) {
        (format!("{}:meta:{channel}", self.prefix), format!("{}:stream:{channel}", self.prefix))
    }

    /// Deletes every key of this run.
    pub async fn clean_up(&self) -> BrokerResult<()> {
        let mut con = self.con.clone();
        let keys: Vec<String> = {
            let mut iter: redis::AsyncIter<String> =
                con.scan_match(format!("{}:*", self.prefix)).await.map_err(|e| failed("SCAN", e))?;
            let mut keys = Vec::new();
            while let Some(k) = iter.next().await {
                keys.push(k.map_err(|e| failed("SCAN", e))?);
            }
            keys
        };
        let mut con = self.con.clone();
        for chunk in keys.chunks(500) {
            let _: () = con.del(chunk).await.map_err(|e| failed("DEL", e))?;
        }
        Ok(())
    }
}

/// Passes what arrives on `topics` to `fanout`, subscribing again after a lost connection
/// (and saying so first: what was published meanwhile never reached this node).
async fn listen(
    client: redis::Client,
    topics: Vec<String>,
    fanout: broadcast::Sender<Arc<Fanout>>,
    linked: Arc<AtomicBool>,
    mut stopped: watch::Receiver<bool>,
    mut ready: Option<tokio::sync::oneshot::Sender<BrokerResult<()>>>,
) {
    let mut wait = Duration::from_millis(50);
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            for t in &topics {
                pubsub.subscribe(t).await?;
            }
            Ok::<_, redis::RedisError>(pubsub)
        };
        let pubsub = tokio::select! {
            r = subscribed => r,
            _ = crate::node::until_true(&mut stopped) => return,
        };
        match pubsub {
            Ok(pubsub) => {
                linked.store(true, Ordering::Release);
                if let Some(r) = ready.take() {
                    let _ = r.send(Ok(()));
                }
                wait = Duration::from_millis(50);
                let mut messages = pubsub.into_on_message();
                loop {
                    tokio::select! {
                        m = messages.next() => match m {
                            Some(m) => {
                                let payload: String = m.get_payload().unwrap_or_default();
                                if let Some(f) = decode(m.get_channel_name(), &topics, &payload) {
                                    let _ = fanout.send(Arc::new(f));
                                }
                            }
                            None => break,
                        },
                        _ = crate::node::until_true(&mut stopped) => return,
                    }
                }
                linked.store(false, Ordering::Release);
                let _ = fanout.send(Arc::new(Fanout::Lost("lost its Pub/Sub connection to Redis".into())));
            }
            Err(e) => {
                if let Some(r) = ready.take() {
                    let _ = r.send(Err(failed("SUBSCRIBE", e)));
                    return;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = crate::node::until_true(&mut stopped) => return,
        }
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

fn decode(topic: &str, topics: &[String], payload: &str) -> Option<Fanout> {
    if topic == topics[0] {
        let w: WirePub = serde_json::from_str(payload).ok()?;
        let publication = Publication { offset: w.o, data: w.d, at: Duration::ZERO };
        Some(Fanout::publication(Delivery { channel: w.c, epoch: w.e, publication }))
    } else {
        serde_json::from_str(payload).ok().map(Fanout::Direct)
    }
}

/// `[epoch, top, …]` from a script's reply.
fn head(v: &[Value]) -> Option<(String, u64)> {
    let epoch = match v.first()? {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok()?,
        Value::SimpleString(s) => s.clone(),
        _ => return None,
    };
    let top = match v.get(1)? {
        Value::Int(i) => u64::try_from(*i).ok()?,
        _ => return None,
    };
    Some((epoch, top))
}

/// Stream entries `[[id, [field, value, …]], …]` as publications.
fn entries(v: &Value) -> Vec<Publication> {
    let Value::Array(rows) = v else { return Vec::new() };
    let mut out = Vec::new();
    for row in rows {
        let Value::Array(parts) = row else { continue };
        let Some(Value::Array(fields)) = parts.get(1) else { continue };
        let (mut offset, mut data) = (None, String::new());
        for pair in fields.chunks(2) {
            let (Some(Value::BulkString(k)), Some(Value::BulkString(val))) = (pair.first(), pair.get(1)) else {
                continue;
            };
            match k.as_slice() {
                b"o" => offset = std::str::from_utf8(val).ok().and_then(|s| s.parse().ok()),
                b"d" => data = String::from_utf8_lossy(val).into_owned(),
                _ => {}
            }
        }
        if let Some(offset) = offset {
            out.push(Publication { offset, data, at: Duration::ZERO });
        }
    }
    out
}

impl Broker for RedisBroker {
    fn describe(&self) -> String {
        format!("Redis at {}", self.url)
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Fanout>> {
        self.fanout.subscribe()
    }

    fn publish<'a>(&'a self, channel: &'a str, data: String) -> BoxFuture<'a, BrokerResult<Delivery>> {
        Box::pin(async move {
            let (meta, stream) = self.keys(channel);
            let mut con = self.con.clone();
            let reply: Vec<Value> = Script::new(PUBLISH)
                .key(meta)
                .key(stream)
                .arg(self.fresh_epoch())
                .arg(self.limits.ttl.as_millis() as u64)
                .arg(&data)
                .arg(self.limits.size)
                .arg(format!("{}:pubs", self.prefix))
                .arg(channel)
                .invoke_async(&mut con)
                .await
                .map_err(|e| failed("publish", e))?;
            let (epoch, offset) = head(&reply).ok_or_else(|| BrokerError("Redis publish: unexpected reply".into()))?;
            Ok(Delivery {
                channel: channel.to_owned(),
                epoch,
                publication: Publication { offset, data, at: Duration::ZERO },
            })
        })
    }

    fn position<'a>(&'a self, channel: &'a str) -> BoxFuture<'a, BrokerResult<StreamPosition>> {
        Box::pin(async move {
            let asked = StreamPosition { offset: 0, epoch: String::new() };
            Ok(self.recover(channel, &asked).await?.top)
        })
    }

    fn recover<'a>(&'a self, channel: &'a str, from: &'a StreamPosition) -> BoxFuture<'a, BrokerResult<Recovery>> {
        Box::pin(async move {
            let (meta, stream) = self.keys(channel);
            let mut con = self.con.clone();
            let reply: Vec<Value> = Script::new(RECOVER)
                .key(meta)
                .key(stream)
                .arg(self.fresh_epoch())
                .arg(self.limits.ttl.as_millis() as u64)
                .arg(&from.epoch)
                .arg(from.offset)
                .arg(self.limits.recovery_max)
                .invoke_async(&mut con)
                .await
                .map_err(|e| failed("recover", e))?;
            let (epoch, offset) = head(&reply).ok_or_else(|| BrokerError("Redis recover: unexpected reply".into()))?;
            let top = StreamPosition { offset, epoch };
            let result = replayable(from, &top, self.limits.recovery_max).and_then(|missed| {
                let mut kept = entries(reply.get(2).unwrap_or(&Value::Nil));
                kept.reverse();
                let first_missed = from.offset + 1;
                let oldest_kept = kept.first().map_or(top.offset + 1, |p| p.offset);
                if missed > 0 && oldest_kept > first_missed {
                    return Err(NotRecovered::Trimmed { first_missed, oldest_kept });
                }
                Ok(kept)
            });
            Ok(Recovery { top, result })
        })
    }

    fn linked(&self) -> bool {
        self.linked.load(Ordering::Acquire)
    }

    fn send_direct(&self, message: Direct) -> BoxFuture<'_, BrokerResult<()>> {
        Box::pin(async move {
            let topic = match message.to_node {
                Some(n) => format!("{}:node:{n}", self.prefix),
                None => format!("{}:direct", self.prefix),
            };
            let payload = serde_json::to_string(&message).expect("direct messages serialise");
            let mut con = self.con.clone();
            let _: i64 = con.publish(topic, payload).await.map_err(|e| failed("PUBLISH", e))?;
            Ok(())
        })
    }
}

/// The registry on Redis.
#[derive(Debug, Clone)]
pub struct RedisRegistry {
    prefix: String,
    con: ConnectionManager,
}

impl RedisRegistry {
    pub async fn connect(url: &str, prefix: &str) -> BrokerResult<Self> {
        let (_, con) = connect(url).await?;
        Ok(RedisRegistry { prefix: prefix.to_owned(), con })
    }

    fn users(&self) -> String {
        format!("{}:users", self.prefix)
    }

    fn alive_key(&self, node: usize) -> String {
        format!("{}:alive:{node}", self.prefix)
    }

    async fn alive(&self, node: usize) -> BrokerResult<bool> {
        let mut con = self.con.clone();
        con.exists(self.alive_key(node)).await.map_err(|e| failed("EXISTS", e))
    }
}

impl Registry for RedisRegistry {
    fn register<'a>(&'a self, user: &'a str, node: usize) -> BoxFuture<'a, BrokerResult<()>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let _: i64 = con.hset(self.users(), user, node).await.map_err(|e| failed("HSET", e))?;
            Ok(())
        })
    }

    fn unregister<'a>(&'a self, user: &'a str, node: usize) -> BoxFuture<'a, BrokerResult<()>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let _: i64 = Script::new(UNREGISTER)
                .key(self.users())
                .arg(user)
                .arg(node)
                .invoke_async(&mut con)
                .await
                .map_err(|e| failed("unregister", e))?;
            Ok(())
        })
    }

    fn lookup<'a>(&'a self, user: &'a str) -> BoxFuture<'a, BrokerResult<Lookup>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let node: Option<usize> = con.hget(self.users(), user).await.map_err(|e| failed("HGET", e))?;
            Ok(match node {
                Some(n) if self.alive(n).await? => Lookup::Live(n),
                Some(n) => Lookup::Stale(n),
                None => Lookup::Unknown,
            })
        })
    }

    fn heartbeat(&self, node: usize) -> BoxFuture<'_, BrokerResult<()>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let ttl = HEARTBEAT_TTL.as_millis() as u64;
            let _: () = redis::cmd("SET")
                .arg(self.alive_key(node))
                .arg(1)
                .arg("PX")
                .arg(ttl)
                .query_async(&mut con)
                .await
                .map_err(|e| failed("SET", e))?;
            Ok(())
        })
    }

    fn entries(&self) -> BoxFuture<'_, BrokerResult<Vec<RegistryEntry>>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let all: std::collections::HashMap<String, usize> =
                con.hgetall(self.users()).await.map_err(|e| failed("HGETALL", e))?;
            let mut rows = Vec::with_capacity(all.len());
            let mut alive = std::collections::HashMap::new();
            for (user, n) in all {
                let up = match alive.get(&n) {
                    Some(&up) => up,
                    None => {
                        let up = self.alive(n).await?;
                        alive.insert(n, up);
                        up
                    }
                };
                rows.push(RegistryEntry { user, node: n + 1, alive: up });
            }
            rows.sort_by(|a, b| a.user.cmp(&b.user));
            Ok(rows)
        })
    }

    fn save_session<'a>(&'a self, token: &'a str, user: &'a str) -> BoxFuture<'a, BrokerResult<()>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            let _: i64 =
                con.hset(format!("{}:sessions", self.prefix), token, user).await.map_err(|e| failed("HSET", e))?;
            Ok(())
        })
    }

    fn session<'a>(&'a self, token: &'a str) -> BoxFuture<'a, BrokerResult<Option<String>>> {
        Box::pin(async move {
            let mut con = self.con.clone();
            con.hget(format!("{}:sessions", self.prefix), token).await.map_err(|e| failed("HGET", e))
        })
    }
}
