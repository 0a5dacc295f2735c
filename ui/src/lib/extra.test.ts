import { beforeEach, describe, expect, it } from 'vitest';
import { explain } from './explain';
import { ev, poll, PUBLISHER, resetSeq, wsFrame } from './fixtures';
import { FrameTimes } from './perf';

beforeEach(resetSeq);

describe('explanations', () => {
  it('explains masking only for masked client frames', () => {
    expect(explain(ev(wsFrame({ masked: true, mask_key: '01020304' }), { dir: 'client_to_server' }))).toContain('masked');
    expect(explain(ev(wsFrame(), { dir: 'server_to_client' }))).toContain('never masked');
    expect(explain(ev(wsFrame({ opcode: 9, opcode_name: 'ping' })))).toContain('pong');
  });

  it('explains empty poll answers', () => {
    const r = ev({ type: 'http_response', status: 204, reason: 'No Content', version: 'HTTP/1.1', headers: [], body_len: 0, body: { truncated: false }, streaming: false });
    expect(explain(r)).toContain('nothing new');
  });
});

describe('frame times', () => {
  it('keeps the newest entries up to its limit', () => {
    const f = new FrameTimes(3);
    [1, 2, 3, 4].forEach((t) => f.record(t));
    expect(f.all()).toEqual([2, 3, 4]);
    f.reset();
    expect(f.all()).toEqual([]);
  });
});
