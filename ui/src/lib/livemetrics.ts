import type { TraceEvent } from '../types';

export interface LiveCounters {
  published: number;
  delivered: number;
  requests: number;
  emptyResponses: number;
  frames: number;
  sseEvents: number;
  bytesOnWire: number;
  openConnections: number;
}

/** Running counts for one experiment, read from its events (the figures a run is building). */
export function liveCounters(events: readonly TraceEvent[], experiment: string | null): LiveCounters {
  const c: LiveCounters = {
    published: 0,
    delivered: 0,
    requests: 0,
    emptyResponses: 0,
    frames: 0,
    sseEvents: 0,
    bytesOnWire: 0,
    openConnections: 0,
  };
  for (const e of events) {
    if (experiment !== null && e.experiment !== experiment) continue;
    if (e.conn !== undefined && e.conn !== null) c.bytesOnWire += e.bytes.header + e.bytes.payload;
    switch (e.kind.type) {
      case 'message_published':
        c.published++;
        break;
      case 'message_delivered':
        c.delivered++;
        break;
      case 'http_request':
        c.requests++;
        break;
      case 'http_response':
        if (e.kind.status === 204) c.emptyResponses++;
        break;
      case 'ws_frame':
        c.frames++;
        break;
      case 'sse_event':
        if (e.kind.dispatched) c.sseEvents++;
        break;
      case 'tcp_open':
        c.openConnections++;
        break;
      case 'tcp_close':
        c.openConnections--;
        break;
    }
  }
  return c;
}
