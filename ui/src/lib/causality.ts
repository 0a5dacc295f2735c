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

/** Sequence numbers to highlight beside a selected event: its parent and its children. */
export function relatedSeqs(store: TraceStore, seq: number): Set<number> {
  const out = new Set<number>();
  const e = store.get(seq);
  if (!e) return out;
  if (e.parent !== undefined && e.parent !== null) out.add(e.parent);
  for (const c of store.childrenOf(seq)) out.add(c);
  return out;
}
