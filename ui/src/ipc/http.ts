import type { LiveMessage, RunStatus } from '../types';
import { backoffDelay } from './backoff';
import { httpError, toLabError } from './errors';
import type { Lab, LiveState, PlotName, SubscribeOptions, TraceFormat, Unsubscribe } from './lab';
import { type Call, type OperationMethods, operationMethods } from './operations';

function isRunStatus(v: unknown): v is RunStatus {
  return typeof v === 'object' && v !== null && 'run_id' in v && 'state' in v && 'phase' in v;
}

// The operations' methods are generated (see `operations.ts`) and mixed in by the constructor.
export interface HttpLab extends OperationMethods {}

/** The lab over HTTP (`POST /api/<operation>`) and a WebSocket on the page's own origin (`rtc-lab serve`). */
export class HttpLab implements Lab {
  readonly transport = 'http' as const;
  /** Run id of the newest status seen, to tell after a reconnect whether the trace changed. */
  private runId: number | null = null;

  constructor(
    private readonly token: string | null,
    private readonly origin: string = location.origin,
  ) {
    Object.assign(this, operationMethods(this.call));
  }

  private async request(method: string, path: string, body?: string, contentType?: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (contentType) headers['Content-Type'] = contentType;
    let res: Response;
    try {
      res = await fetch(this.origin + path, { method, headers, body });
    } catch (e) {
      throw { kind: 'network', message: `${method} ${path} failed: ${toLabError(e).message}` };
    }
    if (!res.ok) throw httpError(res.status, res.statusText, await res.text().catch(() => ''));
    return res;
  }

  private async json<T>(method: string, path: string, body?: string, contentType?: string): Promise<T> {
    const res = await this.request(method, path, body, contentType);
    try {
      return (await res.json()) as T;
    } catch (e) {
      throw { kind: 'internal', message: `${path}: the answer is not JSON (${toLabError(e).message})` };
    }
  }

  /** One operation: `POST /api/<name>` with its request as JSON. */
  private readonly call: Call = async (name, request) => {
    const body = request === null ? undefined : JSON.stringify(request);
    const answer = await this.json<unknown>('POST', `/api/${name}`, body, body === undefined ? undefined : 'application/json');
    if (isRunStatus(answer)) this.runId = answer.run_id;
    return answer as never;
  };

  async saveExport(what: TraceFormat | PlotName): Promise<string> {
    const isTrace = what === 'jsonl' || what === 'har';
    const text = isTrace ? await this.exportTrace({ format: what }) : await this.exportPlot({ name: what });
    const name = isTrace ? `rtc-lab-trace.${what}` : `${what}.svg`;
    const type = what === 'jsonl' ? 'application/x-ndjson' : isTrace ? 'application/json' : 'image/svg+xml';
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return `Downloaded ${name}`;
  }
  firstPaint(): void {}
  async openInBrowser(): Promise<string> {
    // Already in a browser.
    return window.location.href;
  }

  subscribe(onMessage: (m: LiveMessage) => void, options: SubscribeOptions = {}): Unsubscribe {
    const url = new URL('/api/live', this.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.token) url.searchParams.set('token', this.token);
    const setState = (s: LiveState) => options.onState?.(s);

    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let attempt = 0;
    let closed = false;
    let everOpened = false;

    const deliverError = (e: unknown) => options.onError?.(toLabError(e, 'network'));

    const deliver = (m: LiveMessage) => {
      if (m.type === 'reset' || m.type === 'status') this.runId = m.status.run_id;
      onMessage(m);
    };

    // After a drop, what the stream would have said meanwhile is fetched and replayed.
    const resync = async () => {
      const before = this.runId;
      const status = await this.runStatus();
      if (closed) return;
      if (before !== null && status.run_id !== before) {
        deliver({ type: 'reset', status });
        return;
      }
      deliver({ type: 'status', status });
      const from = (options.lastSeq?.() ?? -1) + 1;
      const page = await this.traceSince({ from });
      if (!closed && page.events.length > 0) deliver({ type: 'events', ...page });
    };

    const connect = () => {
      if (closed) return;
      setState(attempt === 0 && !everOpened ? { state: 'connecting' } : { state: 'reconnecting', inMs: 0, attempt });
      const ws = new WebSocket(url);
      socket = ws;
      ws.onopen = () => {
        const wasReconnect = everOpened || attempt > 0;
        attempt = 0;
        everOpened = true;
        setState({ state: 'live' });
        if (wasReconnect) {
          resync().catch((e: unknown) => deliverError(e));
        }
      };
      ws.onmessage = (ev: MessageEvent) => {
        if (typeof ev.data !== 'string') return;
        let m: LiveMessage;
        try {
          m = JSON.parse(ev.data) as LiveMessage;
        } catch {
          return; // a malformed message is dropped; the next reconnect re-syncs anyway
        }
        deliver(m);
      };
      ws.onclose = () => {
        if (socket !== ws) return;
        socket = null;
        if (closed) return;
        const delay = backoffDelay(attempt);
        attempt += 1;
        setState({ state: 'reconnecting', inMs: delay, attempt });
        timer = setTimeout(connect, delay);
      };
      // `error` is always followed by `close`, which schedules the retry.
      ws.onerror = () => {};
    };

    connect();
    return () => {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      socket?.close();
      socket = null;
    };
  }
}
