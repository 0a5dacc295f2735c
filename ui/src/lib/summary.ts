import type { Header, Preview, TraceEvent } from '../types';
import { CLOSE_CODES } from './events';
import { clip } from './format';

export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

function previewShort(p: Preview, n = 60): string {
  if (p.text !== undefined && p.text !== null && p.text !== '') return clip(p.text, n);
  if (p.hex) return `hex ${clip(p.hex, n - 4)}`;
  return '';
}

/** One line saying what happened, in the words a newcomer would use. */
export function describe(e: TraceEvent): string {
  const k = e.kind;
  const conn = e.conn ?? 0;
  switch (k.type) {
    case 'tcp_open':
      return `TCP connection #${conn} opened ${k.client_addr} → ${k.server_addr}`;
    case 'tcp_close':
      return `TCP connection #${conn} closed by ${k.closed_by} (${k.bytes_client_to_server} B up, ${k.bytes_server_to_client} B down)`;
    case 'http_request':
      return `${k.method} ${k.target}${k.body_len > 0 ? ` (${k.body_len} B body)` : ''}`;
    case 'http_response': {
      const type = headerValue(k.headers, 'content-type');
      const head = `${k.status} ${k.reason}${type ? ` ${type}` : ''}`;
      if (k.streaming) return `${head} — stream opens`;
      if (k.body_len > 0) return `${head} (${k.body_len} B body: ${previewShort(k.body)})`;
      return head;
    }
    case 'sse_event': {
      const parts = ['SSE'];
      if (k.event) parts.push(`event: ${k.event}`);
      if (k.id !== undefined && k.id !== null) parts.push(`id: ${k.id}`);
      if (k.retry_ms !== undefined && k.retry_ms !== null) parts.push(`retry: ${k.retry_ms} ms`);
      parts.push(k.dispatched ? `data: ${clip(k.data, 60)}` : '(no data, not dispatched)');
      return parts.join(' ');
    }
    case 'sse_comment':
      return `SSE comment: ${clip(k.text, 60)}`;
    case 'ws_handshake':
      return `WebSocket handshake: key ${k.key} → accept ${k.accept} (${k.accept_valid ? 'valid' : 'INVALID'})`;
    case 'ws_frame': {
      let s = `WS ${k.opcode_name} frame`;
      if (!k.fin) s += ' (FIN=0, more to come)';
      if (k.masked) s += `, masked [${k.mask_key ?? ''}]`;
      s += `, ${k.payload_len} B`;
      if (k.close_code !== undefined && k.close_code !== null) {
        s += `, code ${k.close_code} ${k.close_reason || CLOSE_CODES[k.close_code] || ''}`.trimEnd();
      } else {
        const p = previewShort(k.payload);
        if (p) s += `: ${p}`;
      }
      return s;
    }
    case 'message_published':
      return `published message ${k.msg_id} (${k.size} B)`;
    case 'message_delivered':
      return `received message ${k.msg_id} after ${(k.latency_ns / 1e6).toFixed(3)} ms`;
    case 'protocol_error':
      return `${k.protocol} protocol error at byte ${k.offset}: ${clip(k.message, 160)}`;
    case 'note':
      return clip(k.text, 160);
  }
}

const summaries = new WeakMap<TraceEvent, string>();
const lowered = new WeakMap<TraceEvent, string>();

/** `describe`, computed once per event. */
export function summaryOf(e: TraceEvent): string {
  let s = summaries.get(e);
  if (s === undefined) {
    s = describe(e);
    summaries.set(e, s);
  }
  return s;
}

/** The lower-cased summary, for case-insensitive search. */
export function searchTextOf(e: TraceEvent): string {
  let s = lowered.get(e);
  if (s === undefined) {
    s = summaryOf(e).toLowerCase();
    lowered.set(e, s);
  }
  return s;
}

/** A few characters to write beside an arrow when there is room: "GET", "200", "text 118 B". */
export function shortLabel(e: TraceEvent): string {
  const k = e.kind;
  switch (k.type) {
    case 'http_request':
      return `${k.method} ${clip(k.target, 24)}`;
    case 'http_response':
      return k.streaming ? `${k.status} stream` : String(k.status);
    case 'sse_event':
      return k.dispatched ? `event${k.id ? ` #${k.id}` : ''}` : 'retry';
    case 'sse_comment':
      return ': comment';
    case 'ws_handshake':
      return '101 upgrade';
    case 'ws_frame':
      return k.close_code !== undefined && k.close_code !== null
        ? `close ${k.close_code}`
        : `${k.opcode_name} ${k.payload_len} B`;
    case 'tcp_open':
      return 'open';
    case 'tcp_close':
      return 'close';
    case 'message_published':
      return `pub #${k.msg_id}`;
    case 'message_delivered':
      return `got #${k.msg_id}`;
    case 'protocol_error':
      return 'error';
    case 'note':
      return clip(k.text, 24);
  }
}
