import { describe, expect, it } from 'vitest';
import { ev, wsFrame } from './fixtures';
import { describe as describeEvent, shortLabel, summaryOf } from './summary';

describe('event summaries', () => {
  it('describes HTTP requests and responses like a network panel', () => {
    const req = ev({ type: 'http_request', method: 'POST', target: '/send', version: 'HTTP/1.1', headers: [], body_len: 12, body: { text: 'hello world!', truncated: false } });
    expect(describeEvent(req)).toBe('POST /send (12 B body)');
    const res = ev({
      type: 'http_response',
      status: 200,
      reason: 'OK',
      version: 'HTTP/1.1',
      headers: [{ name: 'Content-Type', value: 'text/event-stream' }],
      body_len: 0,
      body: { truncated: false },
      streaming: true,
    });
    expect(describeEvent(res)).toBe('200 OK text/event-stream — stream opens');
    const empty = ev({ type: 'http_response', status: 204, reason: 'No Content', version: 'HTTP/1.1', headers: [], body_len: 0, body: { truncated: false }, streaming: false });
    expect(describeEvent(empty)).toBe('204 No Content');
  });

  it('describes SSE events, including undispatched ones', () => {
    expect(describeEvent(ev({ type: 'sse_event', id: '4', event: 'tick', data: 'hi', dispatched: true }))).toBe('SSE event: tick id: 4 data: hi');
    expect(describeEvent(ev({ type: 'sse_event', data: '', retry_ms: 500, dispatched: false }))).toBe(
      'SSE retry: 500 ms (no data, not dispatched)',
    );
  });

  it('describes WebSocket frames with mask, length and close code', () => {
    expect(describeEvent(ev(wsFrame({ masked: true, mask_key: '0a0b0c0d' })))).toBe('WS text frame, masked [0a0b0c0d], 5 B: hello');
    expect(describeEvent(ev(wsFrame({ opcode: 8, opcode_name: 'close', close_code: 1000, payload_len: 2, payload: { hex: '03 e8', truncated: false } })))).toBe(
      'WS close frame, 2 B, code 1000 normal closure',
    );
    expect(describeEvent(ev(wsFrame({ fin: false, payload: { hex: 'ff 00', truncated: false }, payload_len: 2 })))).toBe(
      'WS text frame (FIN=0, more to come), 2 B: hex ff 00',
    );
  });

  it('keeps summaries on one line and short', () => {
    const note = ev({ type: 'note', text: 'line one\nline two' });
    expect(summaryOf(note)).toBe('line one␤line two');
    const long = ev(wsFrame({ payload: { text: 'x'.repeat(500), truncated: false }, payload_len: 500 }));
    expect(summaryOf(long).length).toBeLessThan(120);
    expect(summaryOf(long).endsWith('…')).toBe(true);
  });

  it('gives short labels for arrows', () => {
    expect(shortLabel(ev({ type: 'message_delivered', msg_id: 9, latency_ns: 1 }))).toBe('got #9');
    expect(shortLabel(ev(wsFrame({ opcode: 8, opcode_name: 'close', close_code: 1001 })))).toBe('close 1001');
  });
});
