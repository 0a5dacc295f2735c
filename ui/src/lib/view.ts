import type { TraceEvent } from '../types';
import { compileFilter, type Filter, matchesQuery, type Matcher } from './filter';
import type { TraceStore } from './store';

function before(a: TraceEvent, b: TraceEvent): boolean {
  return a.t_ns < b.t_ns || (a.t_ns === b.t_ns && a.seq < b.seq);
}

/**
 * The events that pass the filter, in time order, plus the search hits among them.
 * Kept up to date incrementally while a run streams; rebuilt when the filter changes.
 */
export class FilteredView {
  /** Positions in `store.events`, sorted by (time, seq). */
  order: number[] = [];
  /** Sequence numbers of shown events whose summary contains the query. */
  readonly hits = new Set<number>();
  /** Bumped on every change, for whoever caches things derived from `order`. */
  version = 0;

  private generation = -1;
  private processed = 0;
  private filter: Filter | null = null;
  private query = '';
  private matcher: Matcher | null = null;

  constructor(private readonly store: TraceStore) {}

  /** Brings the view up to date; returns whether anything changed. */
  sync(filter: Filter, query: string): boolean {
    const q = query.trim().toLowerCase();
    const s = this.store;
    if (filter !== this.filter || this.generation !== s.generation || !this.matcher) {
      this.filter = filter;
      this.query = q;
      this.generation = s.generation;
      this.matcher = compileFilter(filter, s);
      this.rebuild();
      return true;
    }
    let changed = false;
    if (q !== this.query) {
      this.query = q;
      this.hits.clear();
      for (const i of this.order) {
        const e = s.events[i]!;
        if (matchesQuery(e, q)) this.hits.add(e.seq);
      }
      changed = true;
    }
    if (this.processed < s.events.length) {
      for (let i = this.processed; i < s.events.length; i++) this.consider(i);
      this.processed = s.events.length;
      changed = true;
    }
    if (changed) this.version++;
    return changed;
  }

  private rebuild(): void {
    const s = this.store;
    this.order = [];
    this.hits.clear();
    let sorted = true;
    let last: TraceEvent | null = null;
    for (let i = 0; i < s.events.length; i++) {
      const e = s.events[i]!;
      if (!this.matcher!(e, s.placements[i]!)) continue;
      if (last && before(e, last)) sorted = false;
      last = e;
      this.order.push(i);
      if (this.query && matchesQuery(e, this.query)) this.hits.add(e.seq);
    }
    if (!sorted) {
      const ev = s.events;
      this.order.sort((a, b) => ev[a]!.t_ns - ev[b]!.t_ns || ev[a]!.seq - ev[b]!.seq);
    }
    this.processed = s.events.length;
    this.version++;
  }

  private consider(i: number): void {
    const s = this.store;
    const e = s.events[i]!;
    if (!this.matcher!(e, s.placements[i]!)) return;
    const n = this.order.length;
    if (n === 0 || !before(e, s.events[this.order[n - 1]!]!)) this.order.push(i);
    else this.order.splice(this.insertionPoint(e), 0, i);
    if (this.query && matchesQuery(e, this.query)) this.hits.add(e.seq);
  }

  private insertionPoint(e: TraceEvent): number {
    const ev = this.store.events;
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(ev[this.order[mid]!]!, e)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get length(): number {
    return this.order.length;
  }

  /** The event at a position of the view. */
  at(pos: number): TraceEvent | undefined {
    const i = this.order[pos];
    return i === undefined ? undefined : this.store.events[i];
  }

  /** First position whose time is ≥ t. */
  lowerBoundTime(t: number): number {
    const ev = this.store.events;
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ev[this.order[mid]!]!.t_ns < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Position of the event `seq` in the view, or -1 when it is filtered out or unknown. */
  positionOf(seq: number): number {
    const e = this.store.get(seq);
    if (!e) return -1;
    const at = this.insertionPoint(e);
    const found = this.at(at);
    return found && found.seq === seq ? at : -1;
  }

  /** Position of the next (dir 1) or previous (dir −1) search hit after `from`, wrapping; -1 if none. */
  nextHit(from: number, dir: 1 | -1): number {
    const n = this.order.length;
    if (this.hits.size === 0 || n === 0) return -1;
    let pos = from < 0 ? (dir === 1 ? -1 : n) : from;
    for (let k = 0; k < n; k++) {
      pos = (((pos + dir) % n) + n) % n;
      if (this.hits.has(this.at(pos)!.seq)) return pos;
    }
    return -1;
  }

  /** 1-based rank of the hit at `pos` among all hits, 0 if it is not a hit. */
  hitRank(pos: number): number {
    const e = this.at(pos);
    if (!e || !this.hits.has(e.seq)) return 0;
    let rank = 0;
    for (let p = 0; p <= pos; p++) if (this.hits.has(this.at(p)!.seq)) rank++;
    return rank;
  }
}
