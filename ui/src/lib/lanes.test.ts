import { describe, expect, it } from 'vitest';
import { client, PUBLISHER, SERVER, TAP } from './fixtures';
import { laneGeometry, laneSpan, layoutLanes } from './lanes';

describe('lane layout', () => {
  const actors = [SERVER, client(7), client(2), TAP, client(0), PUBLISHER];

  it('orders clients by number, then the tap, the server and the publisher', () => {
    const l = layoutLanes(actors, 10);
    expect(l.lanes.map((x) => x.label)).toEqual(['client 0', 'client 2', 'client 7', 'wire (tap)', 'server', 'publisher']);
    expect(l.tap).toBe(3);
    expect(l.server).toBe(4);
  });

  it('caps client lanes and gathers the rest in one lane', () => {
    const l = layoutLanes(actors, 2);
    expect(l.lanes.map((x) => x.kind)).toEqual(['client', 'client', 'others', 'tap', 'server', 'publisher']);
    expect(l.lanes[2]!.label).toBe('+1 more client');
    expect(l.shownClients).toBe(2);
    expect(l.totalClients).toBe(3);
    // client 7 (actor id 1) lands in the "others" lane
    expect(l.laneOfActor[1]).toBe(2);
    expect(l.laneOfActor[4]).toBe(0);
  });

  it('gives the external client its own lane', () => {
    const l = layoutLanes([{ role: 'external' }, SERVER], 8);
    expect(l.lanes.map((x) => x.kind)).toEqual(['external', 'tap', 'server', 'publisher']);
    expect(l.laneOfActor[0]).toBe(0);
  });

  it('sends arrows from the sender lane to the receiver lane', () => {
    const l = layoutLanes(actors, 10);
    // actor 2 is client 2 → lane 1; the server is lane 4
    expect(laneSpan(l, { actor: 2, arrow: 1, category: 'http' })).toEqual([1, 4]);
    expect(laneSpan(l, { actor: 2, arrow: 2, category: 'http' })).toEqual([4, 1]);
    expect(laneSpan(l, { actor: 5, arrow: 0, category: 'app' })).toEqual([5, 5]);
  });

  it('computes lane centres and finds the lane under a point', () => {
    const g = laneGeometry(4, 20, 200);
    expect(g.laneHeight).toBe(50);
    expect(g.centre(0)).toBe(45);
    expect(g.laneAt(44)).toBe(0);
    expect(g.laneAt(71)).toBe(1);
    expect(g.laneAt(10)).toBe(-1);
    expect(g.laneAt(221)).toBe(-1);
    expect(laneGeometry(100, 0, 200).laneHeight).toBe(18);
  });
});
