// Small hand-made traces for unit tests, shaped like what the lab records.
import type { Actor, EventKind, TraceEvent } from '../types';
import { rememberSummaries } from './summary';

let nextSeq = 0;

export function resetSeq(): void {
  nextSeq = 0;
}

export function ev(
  kind: EventKind,
  opts: Partial<Omit<TraceEvent, 'kind'>> & { actor?: Actor } = {},
): TraceEvent {
  const seq = opts.seq ?? nextSeq++;
  const e: TraceEvent = {
    seq,
    t_ns: opts.t_ns ?? seq * 1_000_000,
    experiment: opts.experiment ?? 'polling',
    actor: opts.actor ?? { role: 'server' },
    ...(opts.conn !== undefined ? { conn: opts.conn } : {}),
    ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
    kind,
    bytes: opts.bytes ?? { header: 0, payload: 0 },
    ...(opts.parent !== undefined ? { parent: opts.parent } : {}),
  };
  // Stands in for the summary the lab sends with each event.
  rememberSummaries([e], [kind.type === 'http_request' ? `${kind.method} ${kind.target}` : kind.type === 'note' ? kind.text : kind.type]);
  return e;
}

export const client = (id: number): Actor => ({ role: 'client', id });
export const SERVER: Actor = { role: 'server' };
export const TAP: Actor = { role: 'tap' };
export const PUBLISHER: Actor = { role: 'publisher' };

/** One poll of client `c` on connection `conn`: open, request, response, delivery. */
export function poll(c: number, conn: number, t0: number, experiment = 'polling', publishSeq?: number): TraceEvent[] {
  const open = ev(
    { type: 'tcp_open', client_addr: `127.0.0.1:${40000 + conn}`, server_addr: '127.0.0.1:8000' },
    { actor: client(c), conn, t_ns: t0, experiment },
  );
  const req = ev(
    { type: 'http_request', method: 'GET', target: '/messages?since=0', version: 'HTTP/1.1', headers: [], body_len: 0, body: { text: '', truncated: false } },
    { actor: client(c), conn, dir: 'client_to_server', t_ns: t0 + 100_000, experiment, bytes: { header: 110, payload: 0 } },
  );
  const res = ev(
    {
      type: 'http_response',
      status: 200,
      reason: 'OK',
      version: 'HTTP/1.1',
      headers: [{ name: 'content-type', value: 'application/json' }],
      body_len: 12,
      body: { text: '{"messages":[]}', truncated: false },
      streaming: false,
    },
    { actor: SERVER, conn, dir: 'server_to_client', t_ns: t0 + 400_000, experiment, parent: req.seq, bytes: { header: 109, payload: 12 } },
  );
  const out = [open, req, res];
  if (publishSeq !== undefined) {
    out.push(
      ev(
        { type: 'message_delivered', msg_id: 1, latency_ns: 2_000_000, published: publishSeq },
        { actor: client(c), t_ns: t0 + 500_000, experiment, parent: res.seq },
      ),
    );
  }
  return out;
}

export function wsFrame(over: Partial<Extract<EventKind, { type: 'ws_frame' }>> = {}): EventKind {
  return {
    type: 'ws_frame',
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: 1,
    opcode_name: 'text',
    masked: false,
    payload_len: 5,
    payload: { text: 'hello', truncated: false },
    ...over,
  };
}
