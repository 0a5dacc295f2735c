import type { Header, TraceEvent } from '../types';
import { clip } from './format';

export function headerValue(headers: readonly Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

// The one-line summaries are written by the lab (rtclab_trace::describe) and arrive beside
// the events; the UI keeps them with each event and never composes its own.
const summaries = new WeakMap<TraceEvent, string>();
const lowered = new WeakMap<TraceEvent, string>();

/** Keeps the lab's summaries of a batch of events (`summaries[i]` is of `events[i]`). */
export function rememberSummaries(events: readonly TraceEvent[], texts: readonly string[]): void {
  events.forEach((e, i) => {
    const text = texts[i];
    if (text !== undefined) summaries.set(e, text);
  });
}

/** The lab's one-line summary of an event (empty if it came without one). */
export function summaryOf(e: TraceEvent): string {
  return summaries.get(e) ?? '';
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
