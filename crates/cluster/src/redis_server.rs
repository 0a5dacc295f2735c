//! A local Redis for the learner (and the tests): Debian's `redis-server`, started on a free
//! loopback port with persistence off (a restart loses everything, as the lesson needs), and
//! stopped when dropped. Never a system service.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a starting Redis may take to answer PING.
const READY_WITHIN: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct LocalRedis {
    port: u16,
    child: Child,
}

/// Why no local Redis could be started, in words a learner can act on.
pub fn not_installed() -> String {
    "redis-server is not installed: install it (sudo apt install redis-server; `make` does this) or give the URL of a Redis you run (--redis redis://HOST:PORT)".into()
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn spawn(port: u16) -> Result<Child, String> {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--protected-mode", "yes", "--loglevel", "warning"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                not_installed()
            } else {
                format!("starting redis-server: {e}")
            }
        })
}

/// Whether a Redis answers PING on `port` (a raw RESP exchange: no client needed for this).
fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

impl LocalRedis {
    /// Starts one on a free port and waits (bounded) until it answers.
    pub fn start() -> Result<LocalRedis, String> {
        let port = free_port().map_err(|e| format!("finding a free port for Redis: {e}"))?;
        let mut r = LocalRedis { port, child: spawn(port)? };
        r.wait_ready()?;
        Ok(r)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let since = Instant::now();
        while since.elapsed() < READY_WITHIN {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("redis-server on port {} exited at once ({status})", self.port));
            }
            if answers(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("redis-server on port {} did not answer within {} s", self.port, READY_WITHIN.as_secs()))
    }

    /// Kills it (SIGKILL: no chance to save) and starts it again on the same port, empty.
    pub fn restart(&mut self) -> Result<(), String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn(self.port)?;
        self.wait_ready()
    }
}

impl Drop for LocalRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
