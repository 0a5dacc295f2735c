//! The control API, declared once.
//!
//! Every operation the UI can ask of the lab is one line of [`operations!`] below: its name,
//! its request type and its response type (all exported to TypeScript by ts-rs). From that
//! one declaration come
//! - the [`Api`] trait: one method per operation, implemented by [`App`](crate::App) — an
//!   operation without a handler does not compile;
//! - [`dispatch`]: name + JSON request → JSON response, which is all a door needs: the Tauri
//!   shell exposes it as one command, `rtc-lab serve` as `POST /api/<name>`;
//! - [`typescript_client`]: the TypeScript client in `ui/src/ipc/operations.ts` (checked for
//!   drift by `make bindings-check`, like the bindings).
//!
//! Live streams keep their own path (a Tauri `Channel`, a WebSocket), and what only one
//! shell can do (save into the Downloads folder, report the first paint) stays in that shell.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
pub use ts_rs::TS;

use crate::api::{Catalog, EventPage, RunStatus, StartRun};
use crate::error::LabError;
use crate::learn::verdict::WizardVerdict;
use crate::learn::{ChallengeResultDto, CourseDto, GuessDto, PredictionResult, Progress, QuizResult};
use crate::learn::{ClusterBlockResult, ClusterBlockRun, NatBlockResult, NatBlockRun, WizardAnswer, WizardInput};
use crate::learn::{WebrtcBlockResult, WebrtcBlockRun};
use crate::nat_live::{NatLive, NatLiveRequest, NatSpeed};
use rtclab_call::CallReport;
use rtclab_call::request::CallRequest;
use rtclab_call::sweep::Sweep;
use rtclab_cluster::experiment::{ClusterCatalog, ClusterRunRequest};
use rtclab_cluster::sessions::SessionCheckRequest;
use rtclab_natlab::discover::{Discovery, NatDiscoverRequest};
use rtclab_natlab::matrix::{Matrix, NatMatrixRequest};
use rtclab_natlab::trickle::TrickleComparison;
use rtclab_natlab::view::{NatCatalog, NatRunRequest, NatRunView};
use rtclab_practice::compare::TableRequest;
use rtclab_practice::file_transfer::SendFileRequest;

pub use serde_json::Value as Json;

/// Declares operations: for each `name(Request) -> Response;` one [`Api`] method, one arm of
/// [`dispatch`] and one entry of [`SIGNATURES`]. Exported so a test can declare a table of
/// its own (see the examples below).
///
/// A declared operation must have a handler:
/// ```compile_fail
/// mod table {
///     rtclab_app::operations! {
///         /// Answers with a number.
///         ping(()) -> u32;
///         /// Declared, but nobody wrote its handler.
///         pong(()) -> u32;
///     }
/// }
/// struct Core;
/// impl table::Api for Core {
///     fn ping(&self, _: ()) -> Result<u32, rtclab_app::LabError> { Ok(1) }
/// }
/// ```
/// and with it, the same table compiles and dispatches by name:
/// ```
/// mod table {
///     rtclab_app::operations! {
///         /// Answers with a number.
///         ping(()) -> u32;
///         /// Now with its handler.
///         pong(()) -> u32;
///     }
/// }
/// struct Core;
/// impl table::Api for Core {
///     fn ping(&self, _: ()) -> Result<u32, rtclab_app::LabError> { Ok(1) }
///     fn pong(&self, _: ()) -> Result<u32, rtclab_app::LabError> { Ok(2) }
/// }
/// let answer = table::dispatch(&Core, "pong", serde_json::Value::Null).unwrap();
/// assert_eq!(answer, serde_json::json!(2));
/// assert_eq!(table::dispatch(&Core, "pang", serde_json::Value::Null).unwrap_err().kind(), "not_found");
/// ```
#[macro_export]
macro_rules! operations {
    ($( $(#[doc = $doc:literal])* $name:ident ( $req:ty ) -> $resp:ty ; )*) => {
        /// One method per declared operation.
        pub trait Api {
            $( $(#[doc = $doc])* fn $name(&self, request: $req) -> ::std::result::Result<$resp, $crate::LabError>; )*
        }

        /// Runs the operation `name` on a JSON request; the answer is JSON.
        pub fn dispatch(
            api: &impl Api,
            name: &str,
            request: $crate::ops::Json,
        ) -> ::std::result::Result<$crate::ops::Json, $crate::LabError> {
            match name {
                $( stringify!($name) => {
                    let request: $req = $crate::ops::parse_request(name, request)?;
                    $crate::ops::to_json(api.$name(request)?)
                } )*
                other => Err($crate::ops::unknown_operation(other)),
            }
        }

        /// Every operation's name and TypeScript types, in declaration order.
        pub fn signatures() -> ::std::vec::Vec<$crate::ops::Signature> {
            vec![ $( $crate::ops::Signature {
                name: stringify!($name),
                request: <$req as $crate::ops::TS>::name(),
                response: <$resp as $crate::ops::TS>::name(),
                doc: concat!($($doc, "\n"),*).trim().to_owned(),
            } ),* ]
        }
    };
}

operations! {
    /// The techniques the lab can run, the default workload and the limits of a workload.
    list_experiments(()) -> Catalog;
    /// Starts a run in the background; refused (`conflict`) while another one is going.
    start_run(StartRun) -> RunStatus;
    /// Asks the running run to stop; answers at once.
    stop_run(()) -> RunStatus;
    /// Where the lab is, with fresh event counters.
    run_status(()) -> RunStatus;
    /// Held events with `seq >= from`, with their summaries (to catch up after a dropped stream).
    trace_since(TraceSince) -> EventPage;
    /// The whole trace as JSON Lines or HAR text.
    export_trace(ExportTrace) -> String;
    /// One chart of the finished run as SVG text (the engine's plotters chart).
    export_plot(ExportPlot) -> String;
    /// Replaces the trace with a saved one (JSON Lines text).
    import_trace(ImportTrace) -> RunStatus;
    /// The course: lessons as safe HTML and interactive segments, with the learner's progress.
    course(()) -> CourseDto;
    /// Runs a lesson's experiment as the lesson wrote it, locking in the learner's predictions about it.
    start_experiment(ExperimentStart) -> RunStatus;
    /// Scores a prediction against the run it was locked in with.
    predict(BlockRef) -> PredictionResult;
    /// Checks a quiz answer.
    answer_quiz(QuizAnswer) -> QuizResult;
    /// Starts a challenge's run with the learner's settings.
    start_challenge(ChallengeStart) -> RunStatus;
    /// Checks a challenge against its finished run.
    check_challenge(BlockRef) -> ChallengeResultDto;
    /// Marks a lesson done.
    complete_lesson(LessonRef) -> Progress;
    /// Starts over; an unreadable progress file is kept aside, never deleted.
    reset_progress(()) -> Progress;
    /// Walks the decision tree for the learner's workload.
    recommend(WizardInput) -> WizardAnswer;
    /// Measures the recommendation against its runners-up on the learner's workload.
    test_recommendation(WizardInput) -> RunStatus;
    /// Whether the finished test backs the recommendation, beyond noise and at the learner's budget.
    wizard_verdict(WizardInput) -> WizardVerdict;
    /// Runs a lesson's NAT block and scores its prediction or checks its challenge against that run.
    run_nat_block(NatBlockRun) -> NatBlockResult;
    /// Runs a lesson's scaling-lab block (load-balancer check or node kill) and scores its prediction or checks its challenge against that run.
    run_cluster_block(ClusterBlockRun) -> ClusterBlockResult;
    /// Runs a lesson's WebRTC-in-practice block (the WebSockets-vs-WebRTC table or a file transfer) and scores its prediction against that run.
    run_webrtc_block(WebrtcBlockRun) -> WebrtcBlockResult;
    /// The NAT presets, RFC 4787's grid values and the defaults of a NAT-lab run.
    nat_catalog(()) -> NatCatalog;
    /// One WebRTC connection between peers behind the chosen NATs, run in virtual time, with every table the NAT lab draws.
    nat_run(NatRunRequest) -> NatRunView;
    /// The scaling lab's defaults and limits.
    cluster_catalog(()) -> ClusterCatalog;
    /// Starts a WebSocket cluster run in the background: nodes behind taps, a broker, clients, a node killed half-way; the report arrives on the status (`cluster`).
    start_cluster(ClusterRunRequest) -> RunStatus;
    /// Starts a load-balancer check: each user logs in over HTTP, then opens a WebSocket through the balancer; the result (accepted or refused, per user) arrives on the status (`lb_check`).
    start_lb_check(SessionCheckRequest) -> RunStatus;
    /// Starts a live NAT-lab run at the learner's pace: signalling through the lab's WebSocket relay and the tap, the run streamed as it goes; stop it with `stop_run`.
    start_nat_live(NatLiveRequest) -> NatLive;
    /// Changes the pace of the live NAT-lab run going on (0 pauses).
    nat_live_speed(NatSpeed) -> NatLive;
    /// Every NAT preset pair, with and without TURN: measured outcome beside RFC 4787 theory.
    nat_matrix(NatMatrixRequest) -> Matrix;
    /// The chosen network run twice, with trickle ICE and without: each peer's setup by phase.
    nat_trickle(NatRunRequest) -> TrickleComparison;
    /// RFC 5780 behaviour discovery of a NAT against the lab's STUN server.
    nat_discover(NatDiscoverRequest) -> Discovery;
    /// The defaults of the WebSockets-vs-WebRTC table.
    webrtc_vs_ws_defaults(()) -> TableRequest;
    /// Starts the WebSockets-vs-WebRTC table in the background: the same messages echoed peer to peer, through TURN and through a WebSocket relay, with distances; the report arrives on the status (`webrtc_vs_ws`).
    start_webrtc_vs_ws(TableRequest) -> RunStatus;
    /// Starts the signalling relay and a Rust peer waiting for this page's offer (a real browser as a peer); answers once the Rust peer is in the room, with the room's URL on the status (`browser_peer`). Runs until `stop_run`.
    start_browser_peer(()) -> RunStatus;
    /// The defaults of a file transfer.
    send_file_defaults(()) -> SendFileRequest;
    /// The defaults of a media call.
    call_defaults(()) -> CallRequest;
    /// One media call in virtual time on the simulated internet (mesh or SFU): each participant's uplink, downlink, packets, loss and processor time, the streams' RTCP figures, the RTP/RTCP timeline.
    run_call(CallRequest) -> CallReport;
    /// The same call for N = 2…8 as a mesh and through the SFU (3 s of call time each): N against bandwidth, with the theory from the measured stream.
    call_sweep(CallRequest) -> Sweep;
    /// Sends a generated file peer to peer over a data channel, once per delivery mode, on the link given; the report (SHA-256 check, throughput, flow control) arrives on the status (`send_file`).
    start_send_file(SendFileRequest) -> RunStatus;
}

/// An operation's name and the TypeScript names of its request and response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: &'static str,
    pub request: String,
    pub response: String,
    pub doc: String,
}

#[doc(hidden)]
pub fn parse_request<T: DeserializeOwned>(name: &str, request: Json) -> Result<T, LabError> {
    serde_json::from_value(request)
        .map_err(|e| LabError::BadRequest(format!("the request of {name} is not valid: {e}")))
}

#[doc(hidden)]
pub fn to_json<T: Serialize>(value: T) -> Result<Json, LabError> {
    serde_json::to_value(value).map_err(|e| LabError::Internal(format!("cannot encode the answer: {e}")))
}

#[doc(hidden)]
pub fn unknown_operation(name: &str) -> LabError {
    let known = signatures().iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
    LabError::NotFound(format!("there is no operation named {name:?}; the lab has: {known}"))
}

/// `trace_since`: events from this sequence number on.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TraceSince {
    #[ts(type = "number")]
    pub from: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum TraceFormat {
    Jsonl,
    Har,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportTrace {
    pub format: TraceFormat,
}

/// `export_plot`: `latency-cdf`, `bytes-per-message` or `requests-per-second`.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExportPlot {
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportTrace {
    /// JSON Lines, one trace event per line.
    pub text: String,
}

/// A block of a lesson.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BlockRef {
    pub lesson: String,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LessonRef {
    pub lesson: String,
}

/// `start_experiment`: an experiment block and the guesses locked in with it, by predict id.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ExperimentStart {
    pub lesson: String,
    pub id: String,
    #[serde(default)]
    pub guesses: BTreeMap<String, GuessDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QuizAnswer {
    pub lesson: String,
    pub id: String,
    pub choice: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChallengeStart {
    pub lesson: String,
    pub id: String,
    /// The learner's values of the challenge's editable workload fields.
    #[serde(default)]
    pub settings: BTreeMap<String, f64>,
}

/// The TypeScript client of every operation, given a transport (`ui/src/ipc/operations.ts`).
pub fn typescript_client() -> String {
    let sigs = signatures();
    let mut types: Vec<String> = Vec::new();
    for s in &sigs {
        for t in type_names(&s.request).into_iter().chain(type_names(&s.response)) {
            if !types.contains(&t) {
                types.push(t);
            }
        }
    }
    types.sort();
    let mut out = String::from(
        "// Generated from crates/app/src/ops.rs by `make bindings`; do not edit.\n\
         // One method per operation of the control API; a door supplies `call`.\n\n",
    );
    for t in &types {
        out.push_str(&format!("import type {{ {t} }} from '../bindings/{t}';\n"));
    }
    out.push_str("\n/** Every operation: its request and response types. */\nexport interface Operations {\n");
    for s in &sigs {
        out.push_str(&format!("  {}: {{ request: {}; response: {} }};\n", s.name, s.request, s.response));
    }
    out.push_str("}\n\nexport type OperationName = keyof Operations;\n\n");
    out.push_str("export const OPERATION_NAMES: readonly OperationName[] = [\n");
    for s in &sigs {
        out.push_str(&format!("  '{}',\n", s.name));
    }
    out.push_str("];\n\n");
    out.push_str(
        "/** Carries one operation to the lab and back; rejects with a `LabError`. */\n\
         export type Call = <K extends OperationName>(name: K, request: Operations[K]['request']) => \
         Promise<Operations[K]['response']>;\n\n",
    );
    out.push_str("/** The operations as methods. */\nexport interface OperationMethods {\n");
    for s in &sigs {
        out.push_str(&format!("  /** {} */\n", s.doc.replace('\n', " ")));
        let method = camel(s.name);
        if s.request == "null" {
            out.push_str(&format!("  {method}(): Promise<{}>;\n", s.response));
        } else {
            out.push_str(&format!("  {method}(request: {}): Promise<{}>;\n", s.request, s.response));
        }
    }
    out.push_str("}\n\n/** The methods, each carried by `call`. */\n");
    out.push_str("export function operationMethods(call: Call): OperationMethods {\n  return {\n");
    for s in &sigs {
        let method = camel(s.name);
        if s.request == "null" {
            out.push_str(&format!("    {method}: () => call('{}', null),\n", s.name));
        } else {
            out.push_str(&format!("    {method}: (request) => call('{}', request),\n", s.name));
        }
    }
    out.push_str("  };\n}\n");
    out
}

/// Names of generated types in a TypeScript type expression (`Array<TraceEvent>` → `TraceEvent`).
fn type_names(ts: &str) -> Vec<String> {
    const BUILT_IN: [&str; 3] = ["Array", "Record", "Partial"];
    ts.split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && !BUILT_IN.contains(w))
        .map(str::to_owned)
        .collect()
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `ui/src/ipc/operations.ts` (run by `make bindings`, like the ts-rs exports).
    #[test]
    fn export_bindings_operations() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc/operations.ts");
        let text = typescript_client();
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).unwrap();
        }
    }

    #[test]
    fn every_operation_has_a_unique_name_and_a_doc() {
        let sigs = signatures();
        let mut names: Vec<&str> = sigs.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), sigs.len());
        for s in &sigs {
            assert!(!s.doc.is_empty(), "{} has no doc comment", s.name);
        }
    }

    #[test]
    fn the_client_imports_what_it_names() {
        let ts = typescript_client();
        assert!(ts.contains("import type { EventPage } from '../bindings/EventPage';"));
        assert!(ts.contains("exportTrace(request: ExportTrace): Promise<string>;"), "{ts}");
        assert!(ts.contains("traceSince(request: TraceSince): Promise<EventPage>;"), "{ts}");
        assert!(ts.contains("traceSince: (request) => call('trace_since', request),"), "{ts}");
        assert!(ts.contains("listExperiments(): Promise<Catalog>;"), "{ts}");
        assert!(ts.contains("listExperiments: () => call('list_experiments', null),"), "{ts}");
        assert!(!ts.contains("import type { Array }"));
    }

    #[test]
    fn type_names_and_camel_case() {
        assert_eq!(type_names("Array<TraceEvent>"), vec!["TraceEvent"]);
        assert_eq!(type_names("string"), Vec::<String>::new());
        assert_eq!(camel("start_run"), "startRun");
    }
}
