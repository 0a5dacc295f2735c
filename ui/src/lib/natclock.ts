// The NAT lab's tables at a moment of the run. Rust computed every row and when it changed;
// this only picks, for a time t, the rows that existed by then (the scrubber and the replay).
import type { PairRowView } from '../bindings/PairRowView';
import type { MappingRowView } from '../bindings/MappingRowView';

/** Rows that had happened by `t` (milliseconds of the run). */
export function upTo<T extends { at_ms: number }>(rows: T[], t: number): T[] {
  return rows.filter((r) => r.at_ms <= t);
}

/** Each pair of `peer` as of `t`: its latest row, pairs in the order they first appeared. */
export function pairsAt(history: PairRowView[], peer: string, t: number): PairRowView[] {
  const latest = new Map<string, PairRowView>();
  for (const row of history) {
    if (row.peer !== peer || row.at_ms > t) continue;
    latest.set(`${row.local} ${row.remote}`, row);
  }
  return [...latest.values()];
}

export interface MappingAt extends MappingRowView {
  /** Expired by `t`. */
  gone: boolean;
}

/** The mappings a NAT had by `t`, marked when they had expired. */
export function mappingsAt(mappings: MappingRowView[], t: number): MappingAt[] {
  return mappings.filter((m) => m.created_ms <= t).map((m) => ({ ...m, gone: m.expired_ms !== null && m.expired_ms <= t }));
}

/** The replay speeds offered: 1 = real time. */
export const SPEEDS = [1, 0.25, 0.1] as const;

/** The paces a live run can be set to while it goes on: 0 pauses it. */
export const LIVE_SPEEDS = [4, 1, 0.25, 0.1, 0] as const;

/** How a pace reads in a menu. */
export function paceLabel(speed: number): string {
  if (speed === 0) return 'paused';
  if (speed === 1) return 'real time';
  return speed > 1 ? `${speed}× faster` : `${Math.round(1 / speed)}× slower`;
}

/** Where a replay at `speed` is after `elapsedMs` of wall time, clamped to the run. */
export function replayTime(startMs: number, elapsedMs: number, speed: number, endMs: number): number {
  return Math.min(endMs, startMs + elapsedMs * speed);
}
