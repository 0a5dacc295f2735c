// Shapes of the control API (docs/control-api.md). Temporary: to be replaced by re-exports of
// the generated definitions in ./bindings once they exist.

export type Actor =
  | { role: 'client'; id: number }
  | { role: 'external' }
  | { role: 'server' }
  | { role: 'tap' }
  | { role: 'publisher' };

export type Dir = 'client_to_server' | 'server_to_client';

export type WireBytes = { header: number; payload: number };

export type Header = { name: string; value: string };

export type Preview = { text?: string; hex?: string; truncated?: boolean };

export type EventKind =
  | { type: 'tcp_open'; client_addr: string; server_addr: string }
  | { type: 'tcp_close'; bytes_client_to_server: number; bytes_server_to_client: number; closed_by: string }
  | {
      type: 'http_request';
      method: string;
      target: string;
      version: string;
      headers: Array<Header>;
      body_len: number;
      body: Preview;
    }
  | {
      type: 'http_response';
      status: number;
      reason: string;
      version: string;
      headers: Array<Header>;
      body_len: number;
      body: Preview;
      streaming: boolean;
    }
  | { type: 'sse_event'; id?: string; event?: string; data: string; retry_ms?: number; dispatched: boolean }
  | { type: 'sse_comment'; text: string }
  | { type: 'ws_handshake'; key: string; accept: string; accept_valid: boolean; protocol?: string; extensions?: string }
  | {
      type: 'ws_frame';
      fin: boolean;
      rsv1: boolean;
      rsv2: boolean;
      rsv3: boolean;
      opcode: number;
      opcode_name: string;
      masked: boolean;
      mask_key?: string;
      payload_len: number;
      payload: Preview;
      close_code?: number;
      close_reason?: string;
    }
  | { type: 'message_published'; msg_id: number; size: number }
  | { type: 'message_delivered'; msg_id: number; latency_ns: number }
  | { type: 'protocol_error'; protocol: string; offset: number; message: string }
  | { type: 'note'; text: string };

export type TraceEvent = {
  seq: number;
  t_ns: number;
  experiment: string;
  actor: Actor;
  conn?: number;
  dir?: Dir;
  kind: EventKind;
  bytes: WireBytes;
  parent?: number;
};

export type WorkloadDto = {
  clients: number;
  rate: number;
  payload: number;
  duration_ms: number;
  direction: string;
  seed: number;
  poll_interval_ms: number;
  long_poll_timeout_ms: number;
};

export type TechniqueInfo = { id: string; name: string; summary: string };

export type Limits = {
  max_clients: number;
  max_rate: number;
  max_payload: number;
  max_duration_ms: number;
  min_poll_interval_ms: number;
};

export type Catalog = { techniques: Array<TechniqueInfo>; default_workload: WorkloadDto; limits: Limits };

export type StartRun = { techniques: Array<string>; workload: WorkloadDto };

export type RunState = 'idle' | 'running' | 'finished' | 'stopped' | 'failed';

export type LatencyMs = { p50: number; p95: number; p99: number; max: number; mean: number };

export type Metrics = {
  technique: string;
  published: number;
  delivered: number;
  duplicates: number;
  requests: number;
  empty_responses: number;
  bytes_on_wire: number;
  header_bytes: number;
  payload_bytes: number;
  bytes_per_message: number;
  latency_ms: LatencyMs;
  connections_opened: number;
  peak_connections: number;
  ws_frames: number;
  sse_events: number;
  protocol_errors: number;
  duration_s: number;
  requests_per_second: number;
};

export type TechniqueResult = {
  technique: string;
  expected_deliveries: number;
  metrics: Metrics;
  latency_cdf: Array<[number, number]>;
  requests_per_second: Array<number>;
};

export type RunStatus = {
  run_id: number;
  state: RunState;
  techniques: Array<string>;
  workload: WorkloadDto | null;
  current: string | null;
  progress: number;
  phase: string;
  results: Array<TechniqueResult>;
  error: string | null;
  events: number;
  evicted: number;
  source: string;
};

export type LiveMessage =
  | { type: 'reset'; status: RunStatus }
  | { type: 'events'; events: Array<TraceEvent> }
  | { type: 'status'; status: RunStatus }
  | { type: 'lagged'; missed: number };

export type ApiError = { kind: string; message: string };
