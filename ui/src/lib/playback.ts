import type { FilteredView } from './view';
import type { TraceStore } from './store';

/**
 * The event one step from `seq` in the view (dir 1 forward, −1 back), or null at either end.
 * When `seq` is not shown (filtered out, or nothing selected) the step goes by its time.
 */
export function stepFrom(store: TraceStore, view: FilteredView, seq: number | null, dir: 1 | -1): number | null {
  if (view.length === 0) return null;
  if (seq === null) return view.at(dir === 1 ? 0 : view.length - 1)!.seq;
  const pos = view.positionOf(seq);
  let next: number;
  if (pos >= 0) next = pos + dir;
  else {
    const e = store.get(seq);
    if (!e) return view.at(dir === 1 ? 0 : view.length - 1)!.seq;
    const at = view.lowerBoundTime(e.t_ns);
    next = dir === 1 ? at : at - 1;
  }
  return next >= 0 && next < view.length ? view.at(next)!.seq : null;
}

/**
 * Moves a replay playhead on by `wallMs` of real time at `speed` (trace time per real time).
 * Quiet stretches longer than `maxGapMs` of real time are skipped, so a replay never stalls.
 */
export function advancePlayhead(playhead: number, wallMs: number, speed: number, nextT: number | null, maxGapMs = 700): number {
  const moved = playhead + wallMs * 1e6 * speed;
  if (nextT === null) return moved;
  const gapWallMs = (nextT - moved) / 1e6 / speed;
  return gapWallMs > maxGapMs ? nextT - maxGapMs * 1e6 * speed : moved;
}

/** Speed slider positions, log-spaced: trace time per real time. */
export const SPEEDS: readonly number[] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

export function speedLabel(speed: number): string {
  const wallPerMs = 1 / speed;
  const wall = wallPerMs >= 1000 ? `${(wallPerMs / 1000).toFixed(wallPerMs % 1000 === 0 ? 0 : 1)} s` : `${Math.round(wallPerMs)} ms`;
  return `1 ms of trace plays in ${wall}`;
}
