// Generated from crates/app/src/ops.rs by `make bindings`; do not edit.
// One method per operation of the control API; a door supplies `call`.

import type { BlockRef } from '../bindings/BlockRef';
import type { CallReport } from '../bindings/CallReport';
import type { CallRequest } from '../bindings/CallRequest';
import type { Catalog } from '../bindings/Catalog';
import type { ChallengeResultDto } from '../bindings/ChallengeResultDto';
import type { ChallengeStart } from '../bindings/ChallengeStart';
import type { ClusterBlockResult } from '../bindings/ClusterBlockResult';
import type { ClusterBlockRun } from '../bindings/ClusterBlockRun';
import type { ClusterCatalog } from '../bindings/ClusterCatalog';
import type { ClusterRunRequest } from '../bindings/ClusterRunRequest';
import type { CourseDto } from '../bindings/CourseDto';
import type { Discovery } from '../bindings/Discovery';
import type { EventPage } from '../bindings/EventPage';
import type { ExperimentStart } from '../bindings/ExperimentStart';
import type { ExportPlot } from '../bindings/ExportPlot';
import type { ExportTrace } from '../bindings/ExportTrace';
import type { ImportTrace } from '../bindings/ImportTrace';
import type { LessonRef } from '../bindings/LessonRef';
import type { Matrix } from '../bindings/Matrix';
import type { NatBlockResult } from '../bindings/NatBlockResult';
import type { NatBlockRun } from '../bindings/NatBlockRun';
import type { NatCatalog } from '../bindings/NatCatalog';
import type { NatDiscoverRequest } from '../bindings/NatDiscoverRequest';
import type { NatLive } from '../bindings/NatLive';
import type { NatLiveRequest } from '../bindings/NatLiveRequest';
import type { NatMatrixRequest } from '../bindings/NatMatrixRequest';
import type { NatRunRequest } from '../bindings/NatRunRequest';
import type { NatRunView } from '../bindings/NatRunView';
import type { NatSpeed } from '../bindings/NatSpeed';
import type { PredictionResult } from '../bindings/PredictionResult';
import type { Progress } from '../bindings/Progress';
import type { QuizAnswer } from '../bindings/QuizAnswer';
import type { QuizResult } from '../bindings/QuizResult';
import type { RunStatus } from '../bindings/RunStatus';
import type { SendFileRequest } from '../bindings/SendFileRequest';
import type { SessionCheckRequest } from '../bindings/SessionCheckRequest';
import type { StartRun } from '../bindings/StartRun';
import type { Sweep } from '../bindings/Sweep';
import type { TraceSince } from '../bindings/TraceSince';
import type { TrickleComparison } from '../bindings/TrickleComparison';
import type { WebrtcBlockResult } from '../bindings/WebrtcBlockResult';
import type { WebrtcBlockRun } from '../bindings/WebrtcBlockRun';
import type { WebrtcVsWsRequest } from '../bindings/WebrtcVsWsRequest';
import type { WizardAnswer } from '../bindings/WizardAnswer';
import type { WizardInput } from '../bindings/WizardInput';
import type { WizardVerdict } from '../bindings/WizardVerdict';

/** Every operation: its request and response types. */
export interface Operations {
  list_experiments: { request: null; response: Catalog };
  start_run: { request: StartRun; response: RunStatus };
  stop_run: { request: null; response: RunStatus };
  run_status: { request: null; response: RunStatus };
  trace_since: { request: TraceSince; response: EventPage };
  export_trace: { request: ExportTrace; response: string };
  export_plot: { request: ExportPlot; response: string };
  import_trace: { request: ImportTrace; response: RunStatus };
  course: { request: null; response: CourseDto };
  start_experiment: { request: ExperimentStart; response: RunStatus };
  predict: { request: BlockRef; response: PredictionResult };
  answer_quiz: { request: QuizAnswer; response: QuizResult };
  start_challenge: { request: ChallengeStart; response: RunStatus };
  check_challenge: { request: BlockRef; response: ChallengeResultDto };
  complete_lesson: { request: LessonRef; response: Progress };
  reset_progress: { request: null; response: Progress };
  recommend: { request: WizardInput; response: WizardAnswer };
  test_recommendation: { request: WizardInput; response: RunStatus };
  wizard_verdict: { request: WizardInput; response: WizardVerdict };
  run_nat_block: { request: NatBlockRun; response: NatBlockResult };
  run_cluster_block: { request: ClusterBlockRun; response: ClusterBlockResult };
  run_webrtc_block: { request: WebrtcBlockRun; response: WebrtcBlockResult };
  nat_catalog: { request: null; response: NatCatalog };
  nat_run: { request: NatRunRequest; response: NatRunView };
  cluster_catalog: { request: null; response: ClusterCatalog };
  start_cluster: { request: ClusterRunRequest; response: RunStatus };
  start_lb_check: { request: SessionCheckRequest; response: RunStatus };
  start_nat_live: { request: NatLiveRequest; response: NatLive };
  nat_live_speed: { request: NatSpeed; response: NatLive };
  nat_matrix: { request: NatMatrixRequest; response: Matrix };
  nat_trickle: { request: NatRunRequest; response: TrickleComparison };
  nat_discover: { request: NatDiscoverRequest; response: Discovery };
  webrtc_vs_ws_defaults: { request: null; response: WebrtcVsWsRequest };
  start_webrtc_vs_ws: { request: WebrtcVsWsRequest; response: RunStatus };
  start_browser_peer: { request: null; response: RunStatus };
  send_file_defaults: { request: null; response: SendFileRequest };
  call_defaults: { request: null; response: CallRequest };
  run_call: { request: CallRequest; response: CallReport };
  call_sweep: { request: CallRequest; response: Sweep };
  start_send_file: { request: SendFileRequest; response: RunStatus };
}

export type OperationName = keyof Operations;

export const OPERATION_NAMES: readonly OperationName[] = [
  'list_experiments',
  'start_run',
  'stop_run',
  'run_status',
  'trace_since',
  'export_trace',
  'export_plot',
  'import_trace',
  'course',
  'start_experiment',
  'predict',
  'answer_quiz',
  'start_challenge',
  'check_challenge',
  'complete_lesson',
  'reset_progress',
  'recommend',
  'test_recommendation',
  'wizard_verdict',
  'run_nat_block',
  'run_cluster_block',
  'run_webrtc_block',
  'nat_catalog',
  'nat_run',
  'cluster_catalog',
  'start_cluster',
  'start_lb_check',
  'start_nat_live',
  'nat_live_speed',
  'nat_matrix',
  'nat_trickle',
  'nat_discover',
  'webrtc_vs_ws_defaults',
  'start_webrtc_vs_ws',
  'start_browser_peer',
  'send_file_defaults',
  'call_defaults',
  'run_call',
  'call_sweep',
  'start_send_file',
];

/** Carries one operation to the lab and back; rejects with a `LabError`. */
export type Call = <K extends OperationName>(name: K, request: Operations[K]['request']) => Promise<Operations[K]['response']>;

/** The operations as methods. */
export interface OperationMethods {
  /** The techniques the lab can run, the default workload and the limits of a workload. */
  listExperiments(): Promise<Catalog>;
  /** Starts a run in the background; refused (`conflict`) while another one is going. */
  startRun(request: StartRun): Promise<RunStatus>;
  /** Asks the running run to stop; answers at once. */
  stopRun(): Promise<RunStatus>;
  /** Where the lab is, with fresh event counters. */
  runStatus(): Promise<RunStatus>;
  /** Held events with `seq >= from`, with their summaries (to catch up after a dropped stream). */
  traceSince(request: TraceSince): Promise<EventPage>;
  /** The whole trace as JSON Lines or HAR text. */
  exportTrace(request: ExportTrace): Promise<string>;
  /** One chart of the finished run as SVG text (the engine's plotters chart). */
  exportPlot(request: ExportPlot): Promise<string>;
  /** Replaces the trace with a saved one (JSON Lines text). */
  importTrace(request: ImportTrace): Promise<RunStatus>;
  /** The course: lessons as safe HTML and interactive segments, with the learner's progress. */
  course(): Promise<CourseDto>;
  /** Runs a lesson's experiment as the lesson wrote it, locking in the learner's predictions about it. */
  startExperiment(request: ExperimentStart): Promise<RunStatus>;
  /** Scores a prediction against the run it was locked in with. */
  predict(request: BlockRef): Promise<PredictionResult>;
  /** Checks a quiz answer. */
  answerQuiz(request: QuizAnswer): Promise<QuizResult>;
  /** Starts a challenge's run with the learner's settings. */
  startChallenge(request: ChallengeStart): Promise<RunStatus>;
  /** Checks a challenge against its finished run. */
  checkChallenge(request: BlockRef): Promise<ChallengeResultDto>;
  /** Marks a lesson done. */
  completeLesson(request: LessonRef): Promise<Progress>;
  /** Starts over; an unreadable progress file is kept aside, never deleted. */
  resetProgress(): Promise<Progress>;
  /** Walks the decision tree for the learner's workload. */
  recommend(request: WizardInput): Promise<WizardAnswer>;
  /** Measures the recommendation against its runners-up on the learner's workload. */
  testRecommendation(request: WizardInput): Promise<RunStatus>;
  /** Whether the finished test backs the recommendation, beyond noise and at the learner's budget. */
  wizardVerdict(request: WizardInput): Promise<WizardVerdict>;
  /** Runs a lesson's NAT block and scores its prediction or checks its challenge against that run. */
  runNatBlock(request: NatBlockRun): Promise<NatBlockResult>;
  /** Runs a lesson's scaling-lab block (load-balancer check or node kill) and scores its prediction or checks its challenge against that run. */
  runClusterBlock(request: ClusterBlockRun): Promise<ClusterBlockResult>;
  /** Runs a lesson's WebRTC-in-practice block (the WebSockets-vs-WebRTC table or a file transfer) and scores its prediction against that run. */
  runWebrtcBlock(request: WebrtcBlockRun): Promise<WebrtcBlockResult>;
  /** The NAT presets, RFC 4787's grid values and the defaults of a NAT-lab run. */
  natCatalog(): Promise<NatCatalog>;
  /** One WebRTC connection between peers behind the chosen NATs, run in virtual time, with every table the NAT lab draws. */
  natRun(request: NatRunRequest): Promise<NatRunView>;
  /** The scaling lab's defaults and limits. */
  clusterCatalog(): Promise<ClusterCatalog>;
  /** Starts a WebSocket cluster run in the background: nodes behind taps, a broker, clients, a node killed half-way; the report arrives on the status (`cluster`). */
  startCluster(request: ClusterRunRequest): Promise<RunStatus>;
  /** Starts a load-balancer check: each user logs in over HTTP, then opens a WebSocket through the balancer; the result (accepted or refused, per user) arrives on the status (`lb_check`). */
  startLbCheck(request: SessionCheckRequest): Promise<RunStatus>;
  /** Starts a live NAT-lab run at the learner's pace: signalling through the lab's WebSocket relay and the tap, the run streamed as it goes; stop it with `stop_run`. */
  startNatLive(request: NatLiveRequest): Promise<NatLive>;
  /** Changes the pace of the live NAT-lab run going on (0 pauses). */
  natLiveSpeed(request: NatSpeed): Promise<NatLive>;
  /** Every NAT preset pair, with and without TURN: measured outcome beside RFC 4787 theory. */
  natMatrix(request: NatMatrixRequest): Promise<Matrix>;
  /** The chosen network run twice, with trickle ICE and without: each peer's setup by phase. */
  natTrickle(request: NatRunRequest): Promise<TrickleComparison>;
  /** RFC 5780 behaviour discovery of a NAT against the lab's STUN server. */
  natDiscover(request: NatDiscoverRequest): Promise<Discovery>;
  /** The defaults of the WebSockets-vs-WebRTC table. */
  webrtcVsWsDefaults(): Promise<WebrtcVsWsRequest>;
  /** Starts the WebSockets-vs-WebRTC table in the background: the same messages echoed peer to peer, through TURN and through a WebSocket relay, with distances; the report arrives on the status (`webrtc_vs_ws`). */
  startWebrtcVsWs(request: WebrtcVsWsRequest): Promise<RunStatus>;
  /** Starts the signalling relay and a Rust peer waiting for this page's offer (a real browser as a peer); answers once the Rust peer is in the room, with the room's URL on the status (`browser_peer`). Runs until `stop_run`. */
  startBrowserPeer(): Promise<RunStatus>;
  /** The defaults of a file transfer. */
  sendFileDefaults(): Promise<SendFileRequest>;
  /** The defaults of a media call. */
  callDefaults(): Promise<CallRequest>;
  /** One media call in virtual time on the simulated internet (mesh or SFU): each participant's uplink, downlink, packets, loss and processor time, the streams' RTCP figures, the RTP/RTCP timeline. */
  runCall(request: CallRequest): Promise<CallReport>;
  /** The same call for N = 2…8 as a mesh and through the SFU (3 s of call time each): N against bandwidth, with the theory from the measured stream. */
  callSweep(request: CallRequest): Promise<Sweep>;
  /** Sends a generated file peer to peer over a data channel, once per delivery mode, on the link given; the report (SHA-256 check, throughput, flow control) arrives on the status (`send_file`). */
  startSendFile(request: SendFileRequest): Promise<RunStatus>;
}

/** The methods, each carried by `call`. */
export function operationMethods(call: Call): OperationMethods {
  return {
    listExperiments: () => call('list_experiments', null),
    startRun: (request) => call('start_run', request),
    stopRun: () => call('stop_run', null),
    runStatus: () => call('run_status', null),
    traceSince: (request) => call('trace_since', request),
    exportTrace: (request) => call('export_trace', request),
    exportPlot: (request) => call('export_plot', request),
    importTrace: (request) => call('import_trace', request),
    course: () => call('course', null),
    startExperiment: (request) => call('start_experiment', request),
    predict: (request) => call('predict', request),
    answerQuiz: (request) => call('answer_quiz', request),
    startChallenge: (request) => call('start_challenge', request),
    checkChallenge: (request) => call('check_challenge', request),
    completeLesson: (request) => call('complete_lesson', request),
    resetProgress: () => call('reset_progress', null),
    recommend: (request) => call('recommend', request),
    testRecommendation: (request) => call('test_recommendation', request),
    wizardVerdict: (request) => call('wizard_verdict', request),
    runNatBlock: (request) => call('run_nat_block', request),
    runClusterBlock: (request) => call('run_cluster_block', request),
    runWebrtcBlock: (request) => call('run_webrtc_block', request),
    natCatalog: () => call('nat_catalog', null),
    natRun: (request) => call('nat_run', request),
    clusterCatalog: () => call('cluster_catalog', null),
    startCluster: (request) => call('start_cluster', request),
    startLbCheck: (request) => call('start_lb_check', request),
    startNatLive: (request) => call('start_nat_live', request),
    natLiveSpeed: (request) => call('nat_live_speed', request),
    natMatrix: (request) => call('nat_matrix', request),
    natTrickle: (request) => call('nat_trickle', request),
    natDiscover: (request) => call('nat_discover', request),
    webrtcVsWsDefaults: () => call('webrtc_vs_ws_defaults', null),
    startWebrtcVsWs: (request) => call('start_webrtc_vs_ws', request),
    startBrowserPeer: () => call('start_browser_peer', null),
    sendFileDefaults: () => call('send_file_defaults', null),
    callDefaults: () => call('call_defaults', null),
    runCall: (request) => call('run_call', request),
    callSweep: (request) => call('call_sweep', request),
    startSendFile: (request) => call('start_send_file', request),
  };
}
