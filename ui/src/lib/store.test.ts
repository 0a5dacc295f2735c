import { beforeEach, describe, expect, it } from 'vitest';
import { ev, poll, PUBLISHER, resetSeq, TAP } from './fixtures';
import { TraceStore } from './store';

beforeEach(resetSeq);

describe('trace store', () => {
  it('keeps each sequence number once, in order, even when batches overlap', () => {
    const s = new TraceStore();
    const evs = poll(0, 1, 0);
    expect(s.add(evs.slice(0, 2))).toBe(2);
    expect(s.add(evs)).toBe(1);
    expect(s.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(s.lastSeq).toBe(2);
  });

  it('inserts a late event in place and marks positions as changed', () => {
    const s = new TraceStore();
    const evs = poll(0, 1, 0);
    s.add([evs[0]!, evs[2]!]);
    const gen = s.generation;
    s.add([evs[1]!]);
    expect(s.events.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(s.generation).toBeGreaterThan(gen);
    expect(s.placements.length).toBe(3);
  });

  it('places server messages on the lane of the client that owns the connection', () => {
    const s = new TraceStore();
    s.add(poll(4, 9, 0));
    const res = s.events[2]!;
    expect(res.actor.role).toBe('server');
    expect(s.clientOf(res)).toEqual({ role: 'client', id: 4 });
    expect(s.actors[s.placements[2]!.actor]).toEqual({ role: 'client', id: 4 });
    expect(s.placements[1]!.arrow).toBe(1);
    expect(s.placements[2]!.arrow).toBe(2);
    expect(s.placements[0]!.arrow).toBe(0);
    // the server only sent an arrow, yet it is a known actor
    expect(s.actors).toContainEqual({ role: 'server' });
  });

  it('does not mix connections of different experiments that share an id', () => {
    const s = new TraceStore();
    s.add(poll(1, 3, 0, 'polling'));
    s.add(poll(2, 3, 10e6, 'sse'));
    expect(s.clientOf(s.events[2]!)).toEqual({ role: 'client', id: 1 });
    expect(s.clientOf(s.events[5]!)).toEqual({ role: 'client', id: 2 });
    expect(s.experiments).toEqual(['polling', 'sse']);
  });

  it('indexes children by parent and deliveries by publish', () => {
    const s = new TraceStore();
    const pub = ev({ type: 'message_published', msg_id: 1, size: 64 }, { actor: PUBLISHER });
    s.add([pub, ...poll(0, 1, 1e6, 'polling', pub.seq), ...poll(1, 2, 2e6, 'polling', pub.seq)]);
    expect(s.deliveriesOf(pub.seq)).toEqual([4, 8]);
    expect(s.childrenOf(pub.seq)).toEqual([]);
    expect(s.childrenOf(3)).toEqual([4]);
    expect(s.childrenOf(2)).toEqual([3]);
    s.reset();
    expect(s.deliveriesOf(pub.seq)).toEqual([]);
  });

  it('tracks the time span and resets', () => {
    const s = new TraceStore();
    s.add([ev({ type: 'note', text: 'a' }, { actor: TAP, t_ns: 50 }), ev({ type: 'note', text: 'b' }, { actor: TAP, t_ns: 20 })]);
    expect([s.minT, s.maxT]).toEqual([20, 50]);
    s.reset();
    expect(s.size).toBe(0);
    expect(s.lastSeq).toBe(-1);
    expect(s.minT).toBe(Infinity);
  });
});

describe('catching up after a gap', () => {
  it('merges a block of older events in one pass, without duplicates', () => {
    const s = new TraceStore();
    const all = Array.from({ length: 50 }, (_, i) => ev({ type: 'note', text: `n${i}` }, { seq: i, actor: TAP }));
    s.add([...all.slice(0, 10), ...all.slice(40)]);
    const gen = s.generation;
    expect(s.add([...all.slice(5, 45)].reverse())).toBe(30);
    expect(s.events.map((e) => e.seq)).toEqual(all.map((e) => e.seq));
    expect(s.placements).toHaveLength(50);
    expect(s.generation).toBe(gen + 1);
    expect(s.add(all)).toBe(0);
  });
});
