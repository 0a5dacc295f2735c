import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LiveMessage, RunStatus, TraceEvent } from '../types';
import { HttpLab } from './http';
import { OPERATION_NAMES, type OperationMethods } from './operations';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.();
  }
  drop() {
    this.onclose?.();
  }
  send(m: LiveMessage) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

function status(run_id: number): RunStatus {
  return {
    run_id,
    state: 'running',
    techniques: ['websocket'],
    workload: null,
    current: 'websocket',
    progress: 0.5,
    phase: 'publishing',
    results: [],
    findings: [],
    error: null,
    live: [],
    events: 10,
    evicted: 0,
    source: 'run',
    origin: null,
    tap: null,
    cluster: null,
    lb_check: null,
    webrtc_vs_ws: null,
    browser_peer: null,
    send_file: null,
  };
}

function note(seq: number): TraceEvent {
  return { seq, t_ns: seq, experiment: 'websocket', actor: { role: 'tap' }, kind: { type: 'note', text: `n${seq}` }, bytes: { header: 0, payload: 0 } };
}

describe('HTTP transport', () => {
  let requests: { url: string; init: RequestInit }[];
  let current = 1;

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    requests = [];
    current = 1;
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requests.push({ url, init });
      const path = new URL(url).pathname;
      if (path === '/api/run_status') return new Response(JSON.stringify(status(current)));
      if (path === '/api/trace_since') {
        const from = Number((JSON.parse(String(init.body)) as { from: number }).from);
        return new Response(JSON.stringify({ events: [note(from), note(from + 1)], summaries: [`n${from}`, `n${from + 1}`] }));
      }
      if (path === '/api/start_run') return new Response(JSON.stringify({ kind: 'conflict', message: 'busy' }), { status: 409 });
      return new Response('nope', { status: 404 });
    });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('sends the token as a bearer header and errors as {kind, message}', async () => {
    const lab = new HttpLab('secret', 'http://127.0.0.1:9');
    await lab.runStatus();
    expect((requests[0]!.init.headers as Record<string, string>).Authorization).toBe('Bearer secret');
    await expect(lab.startRun({ techniques: [], workload: status(1).workload! })).rejects.toEqual({ kind: 'conflict', message: 'busy' });
  });

  it('connects the live socket with the token in the query', () => {
    const lab = new HttpLab('secret', 'http://127.0.0.1:9');
    lab.subscribe(() => {});
    expect(FakeSocket.all[0]!.url.toString()).toBe('ws://127.0.0.1:9/api/live?token=secret');
  });

  it('reconnects after a drop and catches up from the last sequence number held', async () => {
    const lab = new HttpLab('t', 'http://127.0.0.1:9');
    const got: LiveMessage[] = [];
    const states: string[] = [];
    lab.subscribe((m) => got.push(m), { lastSeq: () => 41, onState: (s) => states.push(s.state) });
    const first = FakeSocket.all[0]!;
    first.open();
    first.send({ type: 'reset', status: status(1) });
    first.drop();
    expect(states.at(-1)).toBe('reconnecting');
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(700);
    const second = FakeSocket.all[1]!;
    expect(second).toBeDefined();
    second.open();
    await vi.runAllTimersAsync();
    expect(states.at(-1)).toBe('live');
    const trace = requests.find((r) => r.url.endsWith('/api/trace_since'));
    expect(trace?.init.method).toBe('POST');
    expect(JSON.parse(String(trace?.init.body))).toEqual({ from: 42 });
    expect(got.map((m) => m.type)).toEqual(['reset', 'status', 'events']);
    expect(got[2]!.type === 'events' && got[2]!.events.map((e) => e.seq)).toEqual([42, 43]);
  });

  it('reports a replaced trace as a reset after reconnecting', async () => {
    const lab = new HttpLab('t', 'http://127.0.0.1:9');
    const got: LiveMessage[] = [];
    lab.subscribe((m) => got.push(m), { lastSeq: () => 5 });
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.send({ type: 'status', status: status(1) });
    FakeSocket.all[0]!.drop();
    current = 2;
    await vi.advanceTimersByTimeAsync(700);
    FakeSocket.all[1]!.open();
    await vi.runAllTimersAsync();
    expect(got.map((m) => m.type)).toEqual(['status', 'reset']);
    expect(requests.some((r) => r.url.endsWith('/api/trace_since'))).toBe(false);
  });

  it('stops reconnecting once unsubscribed', async () => {
    const lab = new HttpLab('t', 'http://127.0.0.1:9');
    const off = lab.subscribe(() => {});
    FakeSocket.all[0]!.open();
    off();
    expect(FakeSocket.all[0]!.closed).toBe(true);
    FakeSocket.all[0]!.drop();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('carries every declared operation as POST /api/<name>', async () => {
    const lab = new HttpLab('t', 'http://127.0.0.1:9');
    for (const name of OPERATION_NAMES) {
      const method = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof OperationMethods;
      expect(typeof lab[method], name).toBe('function');
      requests = [];
      await (lab[method] as (r?: unknown) => Promise<unknown>)({}).catch(() => {});
      expect(requests.map((r) => [r.init.method, new URL(r.url).pathname])).toEqual([['POST', `/api/${name}`]]);
    }
  });
});
