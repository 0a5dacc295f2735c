import { describe, expect, it } from 'vitest';
import { ev, wsFrame } from './fixtures';
import { rememberSummaries, searchTextOf, shortLabel, summaryOf } from './summary';

describe('event summaries', () => {
  it('shows the summary the lab sent with each event, and searches it case-insensitively', () => {
    const a = ev({ type: 'note', text: 'x' });
    const b = ev({ type: 'note', text: 'y' });
    rememberSummaries([a, b], ['GET /Messages', 'WS text frame, 5 B: hello']);
    expect(summaryOf(a)).toBe('GET /Messages');
    expect(summaryOf(b)).toBe('WS text frame, 5 B: hello');
    expect(searchTextOf(a)).toBe('get /messages');
  });

  it('shows nothing rather than inventing a summary for an event that came without one', () => {
    const e = ev({ type: 'note', text: 'x' });
    rememberSummaries([e], []);
    expect(summaryOf(e)).toBe('x');
    expect(summaryOf({ ...e })).toBe('');
  });

  it('gives short labels for arrows', () => {
    expect(shortLabel(ev({ type: 'message_delivered', msg_id: 9, latency_ns: 1 }))).toBe('got #9');
    expect(shortLabel(ev(wsFrame({ opcode: 8, opcode_name: 'close', close_code: 1001 })))).toBe('close 1001');
  });
});
