import { type Category, CATEGORIES } from './events';
import { type LaneGeometry, type LaneLayout, laneSpan } from './lanes';
import { formatDuration, formatTimeMs } from './format';
import { type TimeScale, ticks, toPx, toTime, visibleStretches } from './scale';
import type { TraceStore } from './store';
import { shortLabel } from './summary';
import type { FilteredView } from './view';

export interface Palette {
  bg: string;
  laneAlt: string;
  laneLine: string;
  gutter: string;
  text: string;
  muted: string;
  grid: string;
  select: string;
  related: string;
  hit: string;
  cursor: string;
  /** Tint of the stretches where crowded events are spread apart. */
  spread: string;
  cat: Record<Category, string>;
}

export interface DrawInput {
  ctx: CanvasRenderingContext2D;
  /** CSS pixels. */
  width: number;
  height: number;
  dpr: number;
  gutter: number;
  rulerHeight: number;
  store: TraceStore;
  view: FilteredView;
  layout: LaneLayout;
  geom: LaneGeometry;
  /** x of the scale is measured from the left edge of the plot (after the gutter). */
  scale: TimeScale;
  selected: number | null;
  related: ReadonlySet<number>;
  /** Events later than this are drawn faded (replay); null draws everything alike. */
  cursorT: number | null;
  palette: Palette;
  font: string;
}

const CAT_INDEX = new Map<Category, number>(CATEGORIES.map((c, i) => [c.id, i]));
/** Below this many events in view, arrowheads, shapes and labels are drawn. */
const DETAIL_LIMIT = 1500;

/** Draws the timeline; returns how many events were in the visible window. */
export function drawTimeline(d: DrawInput): number {
  const { ctx, width, height, dpr, gutter, rulerHeight, store, view, layout, geom, scale, palette } = d;
  const plotW = Math.max(0, width - gutter);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = palette.bg;
  ctx.fillRect(0, 0, width, height);

  // Lanes: alternate bands and a thin centre line; the wire lane dashed.
  const nLanes = layout.lanes.length;
  for (let l = 0; l < nLanes; l++) {
    const top = geom.top + l * geom.laneHeight;
    if (l % 2 === 1) {
      ctx.fillStyle = palette.laneAlt;
      ctx.fillRect(gutter, top, plotW, geom.laneHeight);
    }
  }
  ctx.lineWidth = 1;
  ctx.strokeStyle = palette.laneLine;
  for (let l = 0; l < nLanes; l++) {
    const y = Math.round(geom.centre(l)) + 0.5;
    ctx.setLineDash(layout.lanes[l]!.kind === 'tap' ? [4, 4] : []);
    ctx.beginPath();
    ctx.moveTo(gutter, y);
    ctx.lineTo(width, y);
    ctx.stroke();
  }
  ctx.setLineDash([]);

  // Stretches where crowded events are spread apart: tinted, twice as strongly on the ruler,
  // with a bracket under the ruler: inside, the ruler's step no longer stands for a fixed width.
  const stretches = visibleStretches(scale, plotW);
  const shownStretches: { x0: number; x1: number; st: (typeof stretches)[number] }[] = [];
  if (stretches.length) {
    ctx.fillStyle = palette.spread;
    ctx.strokeStyle = palette.muted;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const st of stretches) {
      const x0 = gutter + Math.max(0, st.x0);
      const x1 = gutter + Math.min(plotW, st.x1);
      if (x1 <= x0) continue;
      shownStretches.push({ x0, x1, st });
      ctx.fillRect(x0, 0, x1 - x0, height);
      ctx.fillRect(x0, 0, x1 - x0, rulerHeight);
      const y = rulerHeight - 2.5;
      ctx.moveTo(Math.round(x0) + 0.5, y - 3);
      ctx.lineTo(Math.round(x0) + 0.5, y);
      ctx.lineTo(Math.round(x1) - 0.5, y);
      ctx.lineTo(Math.round(x1) - 0.5, y - 3);
    }
    ctx.stroke();
  }

  // Ruler and grid.
  const tk = ticks(scale, plotW);
  ctx.strokeStyle = palette.grid;
  ctx.beginPath();
  for (const t of tk) {
    const x = Math.round(gutter + t.x) + 0.5;
    ctx.moveTo(x, rulerHeight - 6);
    ctx.lineTo(x, height);
  }
  ctx.stroke();
  ctx.fillStyle = palette.muted;
  ctx.font = d.font;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  const taken: [number, number][] = [];
  for (const t of tk) {
    const x = gutter + t.x + 4;
    ctx.fillText(t.label, x, rulerHeight / 2);
    if (shownStretches.length) taken.push([x, x + ctx.measureText(t.label).width]);
  }
  // Where there is room between the tick labels, a stretch says where it starts and how long
  // it lasts in real time ("5.000 ms + 285 µs").
  for (const { x0, x1, st } of shownStretches) {
    const span = formatDuration(st.t1 - st.t0);
    const from = `${formatTimeMs(st.t0)} ms + ${span}`;
    for (const text of [`${st.events} events · ${from}`, from, span]) {
      const a = x0 + 4;
      const b = a + ctx.measureText(text).width;
      if (b + 4 > x1 || taken.some(([l, r]) => b + 6 >= l && a - 6 <= r)) continue;
      ctx.fillText(text, a, rulerHeight / 2 - 2);
      taken.push([a, b]);
      break;
    }
  }
  ctx.strokeStyle = palette.laneLine;
  ctx.beginPath();
  ctx.moveTo(gutter, rulerHeight + 0.5);
  ctx.lineTo(width, rulerHeight + 0.5);
  ctx.stroke();

  // Visible events.
  const t0 = toTime(scale, -8);
  const t1 = toTime(scale, plotW + 8);
  const lo = view.lowerBoundTime(t0);
  const hi = view.lowerBoundTime(t1 + 1);
  const count = Math.max(0, hi - lo);
  const detail = count <= DETAIL_LIMIT;

  ctx.save();
  ctx.beginPath();
  ctx.rect(gutter, rulerHeight, plotW, height - rulerHeight);
  ctx.clip();

  // Search hits sit behind the events as soft bars.
  if (view.hits.size > 0) {
    ctx.fillStyle = palette.hit;
    for (let pos = lo; pos < hi; pos++) {
      const i = view.order[pos]!;
      const e = store.events[i]!;
      if (!view.hits.has(e.seq)) continue;
      const [a, b] = laneSpan(layout, store.placements[i]!);
      if (a < 0 || b < 0) continue;
      const x = gutter + toPx(scale, e.t_ns);
      const y0 = Math.min(geom.centre(a), geom.centre(b)) - geom.laneHeight * 0.4;
      const y1 = Math.max(geom.centre(a), geom.centre(b)) + geom.laneHeight * 0.4;
      ctx.fillRect(x - 4, y0, 8, y1 - y0);
    }
  }

  const nCat = CATEGORIES.length;
  // One path per category and per faded/not, for lines, heads and marks.
  const lines: Path2D[] = [];
  const heads: Path2D[] = [];
  const marks: Path2D[] = [];
  for (let k = 0; k < nCat * 2; k++) {
    lines.push(new Path2D());
    heads.push(new Path2D());
    marks.push(new Path2D());
  }
  // Events landing on the same device pixel with the same shape are drawn once.
  const lastX = new Int32Array(Math.max(1, nLanes) * 3 * nCat * 2).fill(-1);
  const head = Math.min(5, geom.laneHeight * 0.22);
  const r = Math.max(2.5, Math.min(4, geom.laneHeight * 0.16));
  const cursor = d.cursorT;
  const labels: { x: number; y: number; text: string; slot: number }[] = [];

  for (let pos = lo; pos < hi; pos++) {
    const i = view.order[pos]!;
    const e = store.events[i]!;
    const p = store.placements[i]!;
    const [a, b] = laneSpan(layout, p);
    if (a < 0 || b < 0) continue;
    const c = CAT_INDEX.get(p.category) ?? 0;
    const faded = cursor !== null && e.t_ns > cursor ? 1 : 0;
    const slotLane = p.arrow === 0 ? a : p.arrow === 1 ? a : b;
    const key = ((slotLane * 3 + p.arrow) * nCat + c) * 2 + faded;
    const x = gutter + toPx(scale, e.t_ns);
    const xi = Math.round(x * dpr);
    if (lastX[key] === xi) continue;
    lastX[key] = xi;
    const k = c * 2 + faded;
    const xs = Math.round(x * dpr) / dpr + 0.5 / dpr;
    if (a === b) {
      const y = geom.centre(a);
      const m = marks[k]!;
      if (detail) addMark(m, e.kind.type, xs, y, r);
      else m.rect(xs - 1.5, y - r, 3, 2 * r);
    } else {
      const ya = geom.centre(a);
      const yb = geom.centre(b);
      const dir = yb > ya ? 1 : -1;
      const line = lines[k]!;
      line.moveTo(xs, ya);
      line.lineTo(xs, yb - dir * (detail ? head : 0));
      if (detail) {
        const h = heads[k]!;
        h.moveTo(xs, yb);
        h.lineTo(xs - head * 0.7, yb - dir * head);
        h.lineTo(xs + head * 0.7, yb - dir * head);
        h.closePath();
        h.moveTo(xs + 2, ya);
        h.arc(xs, ya, 2, 0, Math.PI * 2);
      }
    }
    if (detail && count <= plotW / 14) {
      // Marks are labelled above their lane line, arrows below the line of their client lane,
      // so the labels of different clients never share a row.
      const own = p.arrow === 2 ? b : a;
      const y = a === b ? geom.centre(a) - r - 5 : geom.centre(own) + 8;
      labels.push({ x: xs + 4, y, text: shortLabel(e), slot: own * 2 + (a === b ? 0 : 1) });
    }
  }

  for (let faded = 0; faded < 2; faded++) {
    ctx.globalAlpha = faded ? 0.18 : 1;
    for (let c = 0; c < nCat; c++) {
      const k = c * 2 + faded;
      const color = palette.cat[CATEGORIES[c]!.id];
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = detail ? 1.5 : 1;
      ctx.stroke(lines[k]!);
      ctx.fill(heads[k]!);
      ctx.fill(marks[k]!);
    }
  }
  ctx.globalAlpha = 1;

  if (labels.length) {
    ctx.fillStyle = palette.text;
    ctx.textBaseline = 'middle';
    const lastEnd = new Map<number, number>();
    for (const lb of labels) {
      const w = ctx.measureText(lb.text).width;
      if ((lastEnd.get(lb.slot) ?? -Infinity) > lb.x) continue;
      lastEnd.set(lb.slot, lb.x + w + 6);
      ctx.fillText(lb.text, lb.x, lb.y);
    }
  }

  drawSelection(d, gutter);

  if (cursor !== null) {
    const x = Math.round(gutter + toPx(scale, cursor)) + 0.5;
    ctx.strokeStyle = palette.cursor;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, rulerHeight);
    ctx.lineTo(x, height);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.restore();

  // Lane names in a fixed gutter on the left.
  ctx.fillStyle = palette.gutter;
  ctx.fillRect(0, 0, gutter, height);
  ctx.strokeStyle = palette.laneLine;
  ctx.beginPath();
  ctx.moveTo(gutter - 0.5, 0);
  ctx.lineTo(gutter - 0.5, height);
  ctx.stroke();
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  ctx.font = d.font;
  for (let l = 0; l < nLanes; l++) {
    const lane = layout.lanes[l]!;
    ctx.fillStyle = lane.kind === 'others' ? palette.muted : palette.text;
    ctx.fillText(lane.label, 8, geom.centre(l), gutter - 12);
  }
  ctx.fillStyle = palette.muted;
  ctx.fillText('time →', 8, rulerHeight / 2);
  return count;
}

function addMark(p: Path2D, kind: string, x: number, y: number, r: number): void {
  switch (kind) {
    case 'message_published':
    case 'message_delivered':
      p.moveTo(x + r, y);
      p.arc(x, y, r, 0, Math.PI * 2);
      break;
    case 'note':
      p.moveTo(x, y - r - 1);
      p.lineTo(x + r + 1, y);
      p.lineTo(x, y + r + 1);
      p.lineTo(x - r - 1, y);
      p.closePath();
      break;
    case 'protocol_error':
      p.moveTo(x, y - r - 1);
      p.lineTo(x + r + 1, y + r);
      p.lineTo(x - r - 1, y + r);
      p.closePath();
      break;
    default:
      p.rect(x - r * 0.8, y - r * 0.8, r * 1.6, r * 1.6);
  }
}

/** The selected event drawn bold, its cause and effects ringed, and curves joining them. */
function drawSelection(d: DrawInput, gutter: number): void {
  const { ctx, store, layout, geom, scale, palette } = d;
  if (d.selected === null) return;
  const place = (seq: number) => {
    const i = store.indexOfSeq(seq);
    if (i < 0) return null;
    const e = store.events[i]!;
    const [a, b] = laneSpan(layout, store.placements[i]!);
    if (a < 0 || b < 0) return null;
    const category = store.placements[i]!.category;
    return { e, category, x: gutter + toPx(scale, e.t_ns), ya: geom.centre(a), yb: geom.centre(b) };
  };
  const sel = place(d.selected);
  if (!sel) return;
  const outline = (g: { x: number; ya: number; yb: number }, color: string, w: number) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = w;
    ctx.beginPath();
    if (g.ya === g.yb) {
      ctx.arc(g.x, g.ya, 7, 0, Math.PI * 2);
    } else {
      ctx.moveTo(g.x, g.ya);
      ctx.lineTo(g.x, g.yb);
    }
    ctx.stroke();
  };
  for (const seq of d.related) {
    const g = place(seq);
    if (!g) continue;
    outline(g, palette.related, 4);
    // A curve from cause to effect.
    const from = g.e.seq < sel.e.seq ? g : sel;
    const to = from === g ? sel : g;
    ctx.strokeStyle = palette.related;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([5, 4]);
    ctx.beginPath();
    ctx.moveTo(from.x, from.yb);
    const midX = (from.x + to.x) / 2;
    ctx.bezierCurveTo(midX, from.yb, midX, to.ya, to.x, to.ya);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  outline(sel, palette.select, 6);
  outline(sel, palette.cat[sel.category], 2);
}
