import type { TraceEvent } from '../types';
import type { TraceStore } from './store';

export interface Relations {
  /** The direct cause, when it is still held. */
  parent: TraceEvent | null;
  /** A cause that was evicted or never recorded (its seq), so the UI can say so. */
  missingParent: number | null;
  /** Causes of causes, nearest first, not including `parent`. */
  ancestors: TraceEvent[];
  children: TraceEvent[];
}

/** What caused an event and what it caused. */
export function relationsOf(store: TraceStore, e: TraceEvent, maxDepth = 8): Relations {
  let parent: TraceEvent | null = null;
  let missingParent: number | null = null;
  const ancestors: TraceEvent[] = [];
  if (e.parent !== undefined && e.parent !== null) {
    parent = store.get(e.parent) ?? null;
    if (!parent) missingParent = e.parent;
    let cur = parent;
    const seen = new Set<number>([e.seq]);
    while (cur && cur.parent !== undefined && cur.parent !== null && ancestors.length < maxDepth) {
      if (seen.has(cur.parent)) break;
      seen.add(cur.parent);
      const up = store.get(cur.parent);
      if (!up) break;
      ancestors.push(up);
      cur = up;
    }
  }
  const children = store
    .childrenOf(e.seq)
    .map((s) => store.get(s))
    .filter((c): c is TraceEvent => c !== undefined);
  return { parent, missingParent, ancestors, children };
}

/** One message's way to one client: its publish, the wire event that carried it, its delivery. */
export interface MessagePath {
  /** What caused the publish, when the lab linked one (a direct message: its sender's send,
   *  before the broker hop). */
  origin: TraceEvent | null;
  publish: TraceEvent | null;
  /** The publish's seq, even when it is no longer held. */
  publishSeq: number | null;
  carrier: TraceEvent | null;
  delivery: TraceEvent;
}

function pathOf(store: TraceStore, delivery: TraceEvent): MessagePath | null {
  if (delivery.kind.type !== 'message_delivered') return null;
  const publishSeq = delivery.kind.published ?? null;
  const carrierSeq = delivery.parent ?? null;
  const publish = publishSeq === null ? null : (store.get(publishSeq) ?? null);
  const originSeq = publish?.parent ?? null;
  return {
    origin: originSeq === null ? null : (store.get(originSeq) ?? null),
    publish,
    publishSeq,
    carrier: carrierSeq === null ? null : (store.get(carrierSeq) ?? null),
    delivery,
  };
}

/**
 * The message paths an event is part of: a delivery's own; every delivery of a publish; every
 * message a response, SSE event or frame carried. The links are the lab's (each delivery names
 * its carrier as parent and its publish); this only follows them.
 */
export function messagePathsOf(store: TraceStore, e: TraceEvent): MessagePath[] {
  const deliveries =
    e.kind.type === 'message_delivered'
      ? [e]
      : (e.kind.type === 'message_published' ? store.deliveriesOf(e.seq) : store.childrenOf(e.seq))
          .map((s) => store.get(s))
          .filter((d): d is TraceEvent => d !== undefined);
  return deliveries.map((d) => pathOf(store, d)).filter((p): p is MessagePath => p !== null);
}

/** Sequence numbers to highlight beside a selected event: its causes and effects. */
export function relatedSeqs(store: TraceStore, seq: number): Set<number> {
  const out = new Set<number>();
  const e = store.get(seq);
  if (!e) return out;
  if (e.parent !== undefined && e.parent !== null) out.add(e.parent);
  for (const c of store.childrenOf(seq)) out.add(c);
  // A message's two ends belong together too: a delivery's publish, a publish's deliveries.
  if (e.kind.type === 'message_delivered' && e.kind.published !== undefined && e.kind.published !== null) out.add(e.kind.published);
  for (const d of store.deliveriesOf(seq)) out.add(d);
  return out;
}
