import { type LaneGeometry, type LaneLayout, laneSpan } from './lanes';
import { type TimeScale, toPx, toTime } from './scale';
import type { TraceStore } from './store';
import type { FilteredView } from './view';

/** The event drawn nearest to (x, y) in plot coordinates, within `tolerance` pixels; its seq or null. */
export function hitTest(
  store: TraceStore,
  view: FilteredView,
  scale: TimeScale,
  layout: LaneLayout,
  geom: LaneGeometry,
  x: number,
  y: number,
  tolerance = 6,
): number | null {
  const hiT = toTime(scale, x + tolerance);
  let best: number | null = null;
  let bestD = Infinity;
  let looked = 0;
  for (let pos = view.lowerBoundTime(toTime(scale, x - tolerance)); pos < view.length; pos++) {
    const i = view.order[pos]!;
    const e = store.events[i]!;
    if (e.t_ns > hiT || ++looked > 20_000) break;
    const [a, b] = laneSpan(layout, store.placements[i]!);
    if (a < 0 || b < 0) continue;
    const ya = geom.centre(a);
    const yb = geom.centre(b);
    const dx = Math.abs(toPx(scale, e.t_ns) - x);
    let d: number;
    if (a === b) {
      const dy = Math.abs(y - ya);
      if (dy > Math.max(tolerance, geom.laneHeight / 2)) continue;
      d = dx + dy * 0.5;
    } else {
      if (y < Math.min(ya, yb) - tolerance || y > Math.max(ya, yb) + tolerance) continue;
      d = dx;
    }
    if (d <= bestD) {
      bestD = d;
      best = e.seq;
    }
  }
  return best;
}
