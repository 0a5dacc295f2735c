import type { TraceEvent } from '../types';
import { actorKey, type Category, type KindName } from './events';
import { searchTextOf } from './summary';
import type { Placement, TraceStore } from './store';

/** What the timeline and the event list show. Empty lists mean "no restriction". */
export interface Filter {
  /** Colour classes switched off in the legend. */
  hiddenCategories: readonly Category[];
  kinds: readonly KindName[];
  /** Connection ids (they restart with each experiment; combine with `experiment`). */
  conns: readonly number[];
  /** Actor keys (`client:3`, `server`, …); a client also matches its connections' events. */
  actors: readonly string[];
  experiment: string | null;
}

export const NO_FILTER: Filter = { hiddenCategories: [], kinds: [], conns: [], actors: [], experiment: null };

export function isFiltering(f: Filter): boolean {
  return (
    f.hiddenCategories.length > 0 || f.kinds.length > 0 || f.conns.length > 0 || f.actors.length > 0 || f.experiment !== null
  );
}

/** Compiled form of a filter, quick to test against many events. */
export interface Matcher {
  (e: TraceEvent, p: Placement): boolean;
}

export function compileFilter(f: Filter, store: TraceStore): Matcher {
  const hidden = new Set<string>(f.hiddenCategories);
  const kinds = f.kinds.length ? new Set<string>(f.kinds) : null;
  const conns = f.conns.length ? new Set<number>(f.conns) : null;
  const actors = f.actors.length ? new Set<string>(f.actors) : null;
  const exp = f.experiment;
  return (e, p) => {
    if (hidden.size && hidden.has(p.category)) return false;
    if (kinds && !kinds.has(e.kind.type)) return false;
    if (exp !== null && e.experiment !== exp) return false;
    if (conns && (e.conn === undefined || e.conn === null || !conns.has(e.conn))) return false;
    if (actors) {
      if (actors.has(actorKey(e.actor))) return true;
      const lane = store.actors[p.actor];
      return lane !== undefined && actors.has(actorKey(lane));
    }
    return true;
  };
}

/** "3, 5-7" → [3, 5, 6, 7]; null when the text is not such a list. */
export function parseConnList(text: string): number[] | null {
  const out: number[] = [];
  const t = text.trim();
  if (t === '') return [];
  for (const part of t.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b - a > 10_000) return null;
    for (let i = a; i <= b; i++) out.push(i);
  }
  return [...new Set(out)].sort((x, y) => x - y);
}

/** Case-insensitive substring search over event summaries. */
export function matchesQuery(e: TraceEvent, loweredQuery: string): boolean {
  return loweredQuery !== '' && searchTextOf(e).includes(loweredQuery);
}
