import type {
  Catalog, ChallengeResultDto, CourseDto, GuessDto, LiveMessage, PredictionResult, Progress, QuizResult, RunStatus,
  StartRun, TraceEvent, WizardAnswer, WizardInput,
} from '../types';
import { backoffDelay } from './backoff';
import { httpError, toLabError } from './errors';
import type { Lab, LiveState, PlotName, SubscribeOptions, TraceFormat, Unsubscribe } from './lab';

/** The lab over HTTP and a WebSocket on the page's own origin (`rtc-lab serve`). */
export class HttpLab implements Lab {
  readonly transport = 'http' as const;
  /** Run id of the newest status seen, to tell after a reconnect whether the trace changed. */
  private runId: number | null = null;

  constructor(
    private readonly token: string | null,
    private readonly origin: string = location.origin,
  ) {}

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

  private seen(status: RunStatus): RunStatus {
    this.runId = status.run_id;
    return status;
  }

  listExperiments(): Promise<Catalog> {
    return this.json('GET', '/api/experiments');
  }
  async startRun(request: StartRun): Promise<RunStatus> {
    return this.seen(await this.json('POST', '/api/runs', JSON.stringify(request), 'application/json'));
  }
  async stopRun(): Promise<RunStatus> {
    return this.seen(await this.json('POST', '/api/runs/stop'));
  }
  async runStatus(): Promise<RunStatus> {
    return this.seen(await this.json('GET', '/api/runs/current'));
  }
  traceSince(from: number): Promise<TraceEvent[]> {
    return this.json('GET', `/api/trace?from=${Math.max(0, Math.floor(from))}`);
  }
  async exportTrace(format: TraceFormat): Promise<string> {
    return (await this.request('GET', `/api/export/trace.${format}`)).text();
  }
  async exportPlot(name: PlotName): Promise<string> {
    return (await this.request('GET', `/api/export/plots/${encodeURIComponent(name)}.svg`)).text();
  }
  async saveExport(what: TraceFormat | PlotName): Promise<string> {
    const isTrace = what === 'jsonl' || what === 'har';
    const text = isTrace ? await this.exportTrace(what) : await this.exportPlot(what);
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
  private post<T>(path: string, body: unknown): Promise<T> {
    return this.json('POST', path, JSON.stringify(body), 'application/json');
  }
  course(): Promise<CourseDto> {
    return this.json('GET', '/api/course');
  }
  predict(lesson: string, id: string, guess: GuessDto): Promise<PredictionResult> {
    return this.post('/api/course/predict', { lesson, id, guess });
  }
  answerQuiz(lesson: string, id: string, choice: number): Promise<QuizResult> {
    return this.post('/api/course/quiz', { lesson, id, choice });
  }
  async startChallenge(lesson: string, id: string, settings: Record<string, number>): Promise<RunStatus> {
    return this.seen(await this.post<RunStatus>('/api/course/challenge/start', { lesson, id, settings }));
  }
  checkChallenge(lesson: string, id: string): Promise<ChallengeResultDto> {
    return this.post('/api/course/challenge/check', { lesson, id });
  }
  completeLesson(lesson: string): Promise<Progress> {
    return this.post('/api/course/complete', { lesson });
  }
  resetProgress(): Promise<Progress> {
    return this.post('/api/course/progress/reset', {});
  }
  recommend(input: WizardInput): Promise<WizardAnswer> {
    return this.post('/api/wizard', input);
  }
  async importTrace(text: string): Promise<RunStatus> {
    return this.seen(await this.json('POST', '/api/import', text, 'application/x-ndjson'));
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
      const events = await this.traceSince(from);
      if (!closed && events.length > 0) deliver({ type: 'events', events });
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
