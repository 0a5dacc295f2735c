//! A saved trace drawn as a text sequence diagram: one column (lane) per actor, time going
//! down, arrows between client and server lanes through the tap.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use rtclab_trace::{Actor, Dir, TraceEvent};

use rtclab_trace::describe::{arrow, clip, summary};

/// What to draw.
#[derive(Debug, Clone)]
pub struct LaneOptions {
    /// Only this experiment (default: every experiment, one section each).
    pub experiment: Option<String>,
    /// Draw at most this many client lanes; events of other clients are left out.
    pub max_clients: usize,
    /// Stop after this many events per experiment.
    pub limit: Option<usize>,
}

impl Default for LaneOptions {
    fn default() -> Self {
        LaneOptions { experiment: None, max_clients: 3, limit: None }
    }
}

const LANE: usize = 12;

/// Renders the diagram.
pub fn render(events: &[TraceEvent], opts: &LaneOptions) -> String {
    let mut experiments: Vec<&str> = Vec::new();
    for e in events {
        if !experiments.contains(&&*e.experiment) {
            experiments.push(&e.experiment);
        }
    }
    if let Some(only) = &opts.experiment {
        experiments.retain(|x| x == only);
    }
    let mut out = String::new();
    if experiments.is_empty() {
        let known: BTreeSet<&str> = events.iter().map(|e| &*e.experiment).collect();
        let _ = writeln!(
            out,
            "No events to draw. Experiments in this trace: {}",
            known.into_iter().collect::<Vec<_>>().join(", ")
        );
        return out;
    }
    for exp in experiments {
        let evs: Vec<&TraceEvent> = events.iter().filter(|e| &*e.experiment == exp).collect();
        section(&mut out, exp, &evs, opts);
    }
    out
}

fn section(out: &mut String, exp: &str, evs: &[&TraceEvent], opts: &LaneOptions) {
    let clients: BTreeSet<Actor> =
        evs.iter().map(|e| e.actor).filter(|a| matches!(a, Actor::Client(_) | Actor::External)).collect();
    let shown: Vec<Actor> = clients.iter().copied().take(opts.max_clients).collect();
    let mut lanes: Vec<Actor> = shown.clone();
    lanes.extend([Actor::Tap, Actor::Server, Actor::Publisher]);
    let _ = writeln!(out, "== {exp} ==");
    if clients.len() > shown.len() {
        let _ = writeln!(out, "(showing {} of {} clients; use --clients N to draw more)", shown.len(), clients.len());
    }
    let mut header = format!("{:>11}  ", "t (ms)");
    for l in &lanes {
        let _ = write!(header, "{:<LANE$}", clip(&l.to_string(), LANE - 1));
    }
    let _ = writeln!(out, "{}", header.trim_end());
    let t0 = evs.first().map_or(0, |e| e.t_ns);
    let lane_of = |a: Actor| lanes.iter().position(|l| *l == a);
    let mut drawn = 0;
    for e in evs {
        if opts.limit.is_some_and(|l| drawn >= l) {
            let _ = writeln!(out, "… (stopped after {drawn} events; use --limit to see more)");
            break;
        }
        let client_lane = match e.actor {
            Actor::Client(_) | Actor::External => lane_of(e.actor),
            _ => None,
        };
        // Events on a connection belong to that connection's client lane.
        let row = match (arrow(e), e.actor) {
            (Some(dir), _) => {
                let client = match e.actor {
                    Actor::Client(_) | Actor::External => client_lane,
                    _ => conn_client(evs, e.conn).and_then(lane_of),
                };
                let Some(c) = client else { continue };
                let server = lane_of(Actor::Server).unwrap_or(0);
                draw_arrow(lanes.len(), c, server, dir)
            }
            (None, actor) => {
                let Some(l) = lane_of(actor).or_else(|| conn_client(evs, e.conn).and_then(lane_of)) else { continue };
                draw_dot(lanes.len(), l)
            }
        };
        let t = (e.t_ns - t0) as f64 / 1e6;
        let _ = writeln!(out, "{t:>11.3}  {row} {}", clip(&summary(e), 90));
        drawn += 1;
    }
    out.push('\n');
}

/// The client lane of a connection: the actor of its `tcp_open`.
fn conn_client(evs: &[&TraceEvent], conn: Option<u64>) -> Option<Actor> {
    let conn = conn?;
    evs.iter()
        .find(|e| e.conn == Some(conn) && matches!(e.kind, rtclab_trace::EventKind::TcpOpen { .. }))
        .map(|e| e.actor)
}

fn centre(lane: usize) -> usize {
    lane * LANE + LANE / 2 - 1
}

fn blank(lanes: usize) -> Vec<char> {
    let mut row = vec![' '; lanes * LANE];
    for l in 0..lanes {
        row[centre(l)] = '│';
    }
    row
}

fn draw_arrow(lanes: usize, client: usize, server: usize, dir: Dir) -> String {
    let mut row = blank(lanes);
    let (a, b) = (centre(client.min(server)), centre(client.max(server)));
    for c in row.iter_mut().take(b).skip(a) {
        *c = '─';
    }
    match dir {
        Dir::ClientToServer => row[b] = '▶',
        Dir::ServerToClient => row[a] = '◀',
    }
    if dir == Dir::ClientToServer {
        row[a] = '├';
    } else {
        row[b] = '┤';
    }
    row.into_iter().collect()
}

fn draw_dot(lanes: usize, lane: usize) -> String {
    let mut row = blank(lanes);
    row[centre(lane)] = '●';
    row.into_iter().collect()
}
