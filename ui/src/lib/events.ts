import type { Actor, EventKind, TraceEvent } from '../types';

export type KindName = EventKind['type'];

export const KIND_NAMES: readonly KindName[] = [
  'tcp_open',
  'tcp_close',
  'http_request',
  'http_response',
  'sse_event',
  'sse_comment',
  'ws_handshake',
  'ws_frame',
  'message_published',
  'message_delivered',
  'protocol_error',
  'note',
];

export const KIND_LABELS: Record<KindName, string> = {
  tcp_open: 'TCP open',
  tcp_close: 'TCP close',
  http_request: 'HTTP request',
  http_response: 'HTTP response',
  sse_event: 'SSE event',
  sse_comment: 'SSE comment',
  ws_handshake: 'WS handshake',
  ws_frame: 'WS frame',
  message_published: 'published',
  message_delivered: 'delivered',
  protocol_error: 'protocol error',
  note: 'note',
};

/** Colour classes of the timeline; each has a legend entry and a filter toggle. */
export type Category = 'http' | 'sse' | 'ws-data' | 'ws-control' | 'tcp' | 'app' | 'note' | 'error';

export const CATEGORIES: readonly { id: Category; label: string; hint: string }[] = [
  { id: 'http', label: 'HTTP', hint: 'requests and responses' },
  { id: 'sse', label: 'SSE', hint: 'server-sent events and comments' },
  { id: 'ws-data', label: 'WS data', hint: 'WebSocket text, binary and continuation frames' },
  { id: 'ws-control', label: 'WS control', hint: 'WebSocket handshake, ping, pong and close' },
  { id: 'tcp', label: 'TCP', hint: 'connections opened and closed' },
  { id: 'app', label: 'App messages', hint: 'messages published and delivered' },
  { id: 'note', label: 'Notes', hint: 'what the lab did and why' },
  { id: 'error', label: 'Errors', hint: 'protocol errors, HTTP 4xx/5xx, failed connections' },
];

export function categoryOf(e: TraceEvent): Category {
  const k = e.kind;
  switch (k.type) {
    case 'http_request':
      return 'http';
    case 'http_response':
      return k.status >= 400 ? 'error' : 'http';
    case 'sse_event':
    case 'sse_comment':
      return 'sse';
    case 'ws_handshake':
      return k.accept_valid ? 'ws-control' : 'error';
    case 'ws_frame':
      return k.opcode >= 8 ? 'ws-control' : 'ws-data';
    case 'tcp_open':
      return 'tcp';
    case 'tcp_close':
      return k.closed_by.startsWith('error') ? 'error' : 'tcp';
    case 'message_published':
    case 'message_delivered':
      return 'app';
    case 'protocol_error':
      return 'error';
    case 'note':
      return 'note';
  }
}

/** A stable string for an actor: `client:3`, `server`, … */
export function actorKey(a: Actor): string {
  return a.role === 'client' ? `client:${a.id}` : a.role;
}

export function actorLabel(a: Actor): string {
  return a.role === 'client' ? `client ${a.id}` : a.role === 'tap' ? 'wire (tap)' : a.role;
}

export function actorFromKey(key: string): Actor | null {
  if (key.startsWith('client:')) {
    const id = Number(key.slice(7));
    return Number.isInteger(id) && id >= 0 ? { role: 'client', id } : null;
  }
  switch (key) {
    case 'external':
    case 'server':
    case 'tap':
    case 'publisher':
      return { role: key };
    default:
      return null;
  }
}

const WIRE_KINDS: ReadonlySet<KindName> = new Set([
  'http_request',
  'http_response',
  'sse_event',
  'sse_comment',
  'ws_handshake',
  'ws_frame',
]);

/** Events drawn as arrows between a client and the server (bytes that crossed the wire). */
export function isWireMessage(e: TraceEvent): boolean {
  return e.dir !== undefined && e.dir !== null && WIRE_KINDS.has(e.kind.type);
}

/** Key of the connection an event belongs to; connection ids restart with each experiment. */
export function connKey(experiment: string, conn: number): string {
  return `${experiment}#${conn}`;
}

export function isClientActor(a: Actor): boolean {
  return a.role === 'client' || a.role === 'external';
}

export const OPCODE_NAMES: Record<number, string> = {
  0: 'continuation',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

export const CLOSE_CODES: Record<number, string> = {
  1000: 'normal closure',
  1001: 'going away',
  1002: 'protocol error',
  1003: 'unsupported data',
  1005: 'no status received',
  1006: 'abnormal closure',
  1007: 'invalid payload data',
  1008: 'policy violation',
  1009: 'message too big',
  1010: 'mandatory extension',
  1011: 'internal error',
};
