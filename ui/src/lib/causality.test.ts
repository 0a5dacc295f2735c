import { beforeEach, describe, expect, it } from 'vitest';
import { messagePathsOf, relatedSeqs, relationsOf } from './causality';
import { ev, poll, PUBLISHER, resetSeq } from './fixtures';
import { TraceStore } from './store';

beforeEach(resetSeq);

describe('cause and effect', () => {
  function setup() {
    const store = new TraceStore();
    const pub = ev({ type: 'message_published', msg_id: 1, size: 64 }, { actor: PUBLISHER });
    store.add([pub, ...poll(0, 1, 1e6, 'polling', pub.seq), ...poll(1, 2, 2e6, 'polling', pub.seq)]);
    return store;
  }

  it('links a response to its request and back', () => {
    const store = setup();
    const res = store.get(3)!;
    const r = relationsOf(store, res);
    expect(r.parent?.kind.type).toBe('http_request');
    expect(relationsOf(store, store.get(2)!).children.map((c) => c.seq)).toEqual([3]);
  });

  it('links each delivery to the response that carried it and to its publish', () => {
    const store = setup();
    // seq 0 publish; client 0: 1 open, 2 request, 3 response, 4 delivery; client 1: 5–8.
    expect(relationsOf(store, store.get(4)!).parent?.seq).toBe(3);
    expect(relatedSeqs(store, 0)).toEqual(new Set([4, 8]));
    expect(relatedSeqs(store, 4)).toEqual(new Set([3, 0]));
    const [path] = messagePathsOf(store, store.get(4)!);
    expect([path?.publish?.seq, path?.carrier?.seq, path?.delivery.seq]).toEqual([0, 3, 4]);
    expect(path?.origin).toBeNull(); // a broadcast's publish has no cause of its own
    expect(messagePathsOf(store, store.get(0)!).map((p) => [p.carrier?.seq, p.delivery.seq])).toEqual([
      [3, 4],
      [7, 8],
    ]);
    expect(messagePathsOf(store, store.get(7)!).map((p) => p.publishSeq)).toEqual([0]);
    expect(messagePathsOf(store, store.get(2)!)).toEqual([]);
  });

  it("starts a direct message's path at its sender when the broker hop names one", () => {
    const store = new TraceStore();
    const sent = ev({ type: 'message_published', msg_id: 1, size: 5 }, { experiment: 'node 1', actor: { role: 'client', id: 0 } });
    const hop = ev({ type: 'message_published', msg_id: 1, size: 5 }, { experiment: 'broker', actor: PUBLISHER, parent: sent.seq });
    const frame = ev({ type: 'note', text: 'frame' }, { experiment: 'node 2' });
    const got = ev({ type: 'message_delivered', msg_id: 1, latency_ns: 1, published: hop.seq }, { experiment: 'node 2', parent: frame.seq });
    store.add([sent, hop, frame, got]);
    const [path] = messagePathsOf(store, got);
    expect([path?.origin?.seq, path?.publish?.seq, path?.carrier?.seq, path?.delivery.seq]).toEqual([sent.seq, hop.seq, frame.seq, got.seq]);
  });

  it('reports a cause that is no longer held', () => {
    const store = new TraceStore();
    const orphan = ev({ type: 'note', text: 'x' }, { parent: 99 });
    store.add([orphan]);
    const r = relationsOf(store, orphan);
    expect(r.parent).toBeNull();
    expect(r.missingParent).toBe(99);
  });

  it('walks ancestors without looping', () => {
    const store = new TraceStore();
    store.add([
      ev({ type: 'note', text: 'a' }, { seq: 1, parent: 3 }),
      ev({ type: 'note', text: 'b' }, { seq: 2, parent: 1 }),
      ev({ type: 'note', text: 'c' }, { seq: 3, parent: 2 }),
    ]);
    const r = relationsOf(store, store.get(3)!);
    expect(r.parent?.seq).toBe(2);
    expect(r.ancestors.map((a) => a.seq)).toEqual([1]);
  });
});
