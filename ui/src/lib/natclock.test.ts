import { describe, expect, it } from 'vitest';
import { mappingsAt, paceLabel, pairsAt, replayTime, upTo } from './natclock';
import type { PairRowView } from '../bindings/PairRowView';
import type { MappingRowView } from '../bindings/MappingRowView';

function pair(at_ms: number, remote: string, state: string, peer = 'A'): PairRowView {
  return {
    peer, at_ms, event: at_ms, local: '10.0.1.2:5000', local_type: 'host', remote, remote_type: 'srflx', state,
    nominated: false, selected: false, requests_sent: 1, responses_received: 0, requests_received: 0, responses_sent: 0,
    rtt_ms: 0, bytes_sent: 0, bytes_received: 0,
  };
}

describe('the NAT lab at a moment', () => {
  it('shows each pair as its latest row up to t, in order of appearance', () => {
    const h = [pair(10, 'x:1', 'in-progress'), pair(20, 'y:2', 'in-progress'), pair(30, 'x:1', 'succeeded'), pair(40, 'y:2', 'failed', 'B')];
    expect(pairsAt(h, 'A', 25).map((p) => p.state)).toEqual(['in-progress', 'in-progress']);
    expect(pairsAt(h, 'A', 35).map((p) => `${p.remote} ${p.state}`)).toEqual(['x:1 succeeded', 'y:2 in-progress']);
    expect(pairsAt(h, 'B', 35)).toEqual([]);
  });
  it('keeps only what had happened, and marks expired mappings', () => {
    const m: MappingRowView = {
      inside: 'a', outside: 'b', for_destination: 'any', created_ms: 5, created_event: 1, last_used_ms: 5, expired_ms: 50,
      sent_to: [], packets_out: 1, packets_in: 0,
    };
    expect(mappingsAt([m], 4)).toEqual([]);
    expect(mappingsAt([m], 10)[0]?.gone).toBe(false);
    expect(mappingsAt([m], 60)[0]?.gone).toBe(true);
    expect(upTo([{ at_ms: 1 }, { at_ms: 9 }], 5)).toHaveLength(1);
  });
  it('replays at the chosen speed and stops at the end', () => {
    expect(replayTime(0, 1000, 0.1, 500)).toBe(100);
    expect(replayTime(0, 10000, 1, 500)).toBe(500);
  });
});

describe('live paces', () => {
  it('read as a learner says them', () => {
    expect([4, 1, 0.25, 0.1, 0].map(paceLabel)).toEqual(['4× faster', 'real time', '4× slower', '10× slower', 'paused']);
  });
});
