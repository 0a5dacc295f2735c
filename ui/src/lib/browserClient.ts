import type { RunStatus } from '../types';

/**
 * The page itself as one more client of a running experiment: the browser's own
 * `EventSource` or `WebSocket` connects to the experiment's tap, so its built-in SSE
 * reconnection and its frames show up on the timeline beside the lab's clients.
 */
export class BrowserClient {
  received = 0;
  private key: string | null = null;
  private es: EventSource | null = null;
  private ws: WebSocket | null = null;

  constructor(private readonly onMessage: (count: number) => void) {}

  /** What to connect to for this status, or null: only while an SSE or WebSocket run publishes. */
  static target(s: RunStatus | null): { kind: 'sse' | 'websocket'; url: string; key: string } | null {
    if (!s || s.state !== 'running' || !s.tap) return null;
    if (!/^(connecting|publishing)/.test(s.phase)) return null;
    if (s.current === 'sse') return { kind: 'sse', url: `http://${s.tap}/events`, key: `sse@${s.tap}` };
    if (s.current === 'websocket') return { kind: 'websocket', url: `ws://${s.tap}/ws`, key: `websocket@${s.tap}` };
    return null;
  }

  update(status: RunStatus | null, enabled: boolean): void {
    const t = enabled ? BrowserClient.target(status) : null;
    if ((t?.key ?? null) === this.key) return;
    this.close();
    if (!t) return;
    this.key = t.key;
    const count = () => this.onMessage(++this.received);
    if (t.kind === 'sse') {
      this.es = new EventSource(t.url);
      this.es.onmessage = count;
    } else {
      this.ws = new WebSocket(t.url);
      this.ws.onmessage = count;
    }
  }

  close(): void {
    this.es?.close();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000, 'done');
    this.es = null;
    this.ws = null;
    this.key = null;
  }
}
