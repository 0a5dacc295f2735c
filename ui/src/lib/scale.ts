/**
 * Maps trace time (ns) to canvas x (CSS px).
 *
 * A plain scale is linear: x = (t − start) / nsPerPx. A scale with a `spread` keeps that
 * resolution wherever events are far enough apart, but puts each distinct event time at least
 * `gapPx` pixels after the one before, so a burst (the handshakes of every client at the start of
 * a run) can be told apart without zooming. The mapping is still one increasing function of time
 * shared by every lane: events keep their order, simultaneous events stay one above the other,
 * and ruler ticks sit where their real time falls. The widened stretches are listed so that the
 * ruler can mark them; zoomed in far enough, nothing needs widening and the axis is linear.
 */
export interface TimeScale {
  /** Time at x = 0. */
  readonly start: number;
  /** Resolution wherever nothing is spread. */
  readonly nsPerPx: number;
  readonly spread?: SpreadAxis;
}

/** The distinct times of the shown events, ascending, and how many events share each. */
export interface EventTimes {
  readonly t: Float64Array;
  readonly count: Uint32Array;
}

/** What a spread axis is built from: the times, the spacing wanted and how much width it may add. */
export interface SpreadSource {
  readonly times: EventTimes;
  /** Pixels wanted between neighbouring event times. */
  readonly minGapPx: number;
  /** At most this many pixels are added across the whole trace; the gap shrinks to stay within. */
  readonly budgetPx: number;
}

/** A run of event times drawn further apart than the resolution would put them. */
export interface Stretch {
  /** First and last time of the run. */
  readonly t0: number;
  readonly t1: number;
  /** Events in the run. */
  readonly events: number;
}

/** The events of a source laid out at one resolution. */
export interface SpreadLayout {
  readonly source: SpreadSource;
  /** The gap given (at most `minGapPx`); 0 when nothing is spread at this resolution. */
  readonly gapPx: number;
  /** Position of each distinct time in pixels from the first; null when nothing is spread. */
  readonly u: Float64Array | null;
  readonly stretches: readonly Stretch[];
  /**
   * Resolution before the first event: that of the first gap, so the margin left of a burst
   * at the start stays a short time rather than reaching back past the start of the trace.
   */
  readonly leadNsPerPx: number;
}

export interface SpreadAxis {
  readonly layout: SpreadLayout;
  /** Position of `start` in the layout's pixels. */
  readonly origin: number;
}

/** 10 ns per pixel at the closest; an hour across a thousand pixels at the widest. */
export const MIN_NS_PER_PX = 10;
export const MAX_NS_PER_PX = 3.6e9;
/** Event times closer than this on screen are drawn this far apart (while the budget allows). */
export const MIN_EVENT_GAP_PX = 8;
/** Below this, spreading no longer helps tell events apart and the axis stays linear. */
const MIN_USEFUL_GAP_PX = 2;

function clampRes(nsPerPx: number): number {
  return Math.min(MAX_NS_PER_PX, Math.max(MIN_NS_PER_PX, nsPerPx));
}

/** The distinct values among `n` ascending times read through `at`, with how often each occurs. */
export function distinctTimes(n: number, at: (i: number) => number): EventTimes {
  const t = new Float64Array(n);
  const count = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = at(i);
    if (m > 0 && v === t[m - 1]) count[m - 1]!++;
    else {
      t[m] = v;
      count[m] = 1;
      m++;
    }
  }
  return { t: t.slice(0, m), count: count.slice(0, m) };
}

/** The gap given at `nsPerPx` once the budget is applied; 0 when nothing is spread. */
function gapAt(src: SpreadSource, nsPerPx: number): number {
  const t = src.times.t;
  const g = src.minGapPx;
  if (t.length < 2 || !(g > 0)) return 0;
  let extra = 0;
  for (let k = 1; k < t.length; k++) {
    const d = (t[k]! - t[k - 1]!) / nsPerPx;
    if (d < g) extra += g - d;
  }
  if (extra === 0) return 0;
  // Shrinking the gap by some factor shrinks the width it adds by at least that factor.
  const gap = extra <= src.budgetPx ? g : (g * Math.max(0, src.budgetPx)) / extra;
  return gap >= MIN_USEFUL_GAP_PX ? gap : 0;
}

/** Width in pixels from the first to the last event time at `nsPerPx`. */
function extentAt(src: SpreadSource, nsPerPx: number): number {
  const t = src.times.t;
  if (t.length < 2) return 0;
  const gap = gapAt(src, nsPerPx);
  if (gap === 0) return (t[t.length - 1]! - t[0]!) / nsPerPx;
  let w = 0;
  for (let k = 1; k < t.length; k++) w += Math.max(gap, (t[k]! - t[k - 1]!) / nsPerPx);
  return w;
}

/** Lays out the events of `src` at `nsPerPx`. */
export function layoutSpread(src: SpreadSource, nsPerPx: number): SpreadLayout {
  const gap = gapAt(src, nsPerPx);
  if (gap === 0) return { source: src, gapPx: 0, u: null, stretches: [], leadNsPerPx: nsPerPx };
  const { t, count } = src.times;
  const u = new Float64Array(t.length);
  const stretches: Stretch[] = [];
  let open = -1;
  let events = 0;
  for (let k = 1; k <= t.length; k++) {
    const d = k < t.length ? (t[k]! - t[k - 1]!) / nsPerPx : Infinity;
    if (d < gap) {
      u[k] = u[k - 1]! + gap;
      if (open < 0) {
        open = k - 1;
        events = count[k - 1]!;
      }
      events += count[k]!;
    } else {
      if (k < t.length) u[k] = u[k - 1]! + d;
      if (open >= 0) stretches.push({ t0: t[open]!, t1: t[k - 1]!, events });
      open = -1;
    }
  }
  return { source: src, gapPx: gap, u, stretches, leadNsPerPx: (t[1]! - t[0]!) / u[1]! };
}

/** Position of time `t` in the layout's pixels (0 at the first event time). */
function posOf(l: SpreadLayout, nsPerPx: number, t: number): number {
  const times = l.source.times.t;
  const first = times[0] ?? 0;
  const u = l.u;
  if (!u) return (t - first) / nsPerPx;
  if (t <= first) return (t - first) / l.leadNsPerPx;
  const last = times.length - 1;
  if (t >= times[last]!) return u[last]! + (t - times[last]!) / nsPerPx;
  // t lies in [times[k − 1], times[k]).
  let lo = 1;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! > t) hi = mid;
    else lo = mid + 1;
  }
  const a = times[lo - 1]!;
  return u[lo - 1]! + ((t - a) / (times[lo]! - a)) * (u[lo]! - u[lo - 1]!);
}

/** The time at position `p` of the layout's pixels (the inverse of `posOf`). */
function timeOf(l: SpreadLayout, nsPerPx: number, p: number): number {
  const times = l.source.times.t;
  const first = times[0] ?? 0;
  const u = l.u;
  if (!u) return first + p * nsPerPx;
  if (p <= 0) return first + p * l.leadNsPerPx;
  const last = times.length - 1;
  if (p >= u[last]!) return times[last]! + (p - u[last]!) * nsPerPx;
  let lo = 1;
  let hi = last;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (u[mid]! > p) hi = mid;
    else lo = mid + 1;
  }
  const a = u[lo - 1]!;
  return times[lo - 1]! + ((p - a) / (u[lo]! - a)) * (times[lo]! - times[lo - 1]!);
}

function withOrigin(layout: SpreadLayout, nsPerPx: number, origin: number): TimeScale {
  return { start: timeOf(layout, nsPerPx, origin), nsPerPx, spread: { layout, origin } };
}

/** A scale starting at `start` that spreads the events of `src` apart where they crowd. */
export function spreadScale(start: number, nsPerPx: number, src: SpreadSource): TimeScale {
  const ns = clampRes(nsPerPx);
  if (src.times.t.length === 0) return { start, nsPerPx: ns };
  const layout = layoutSpread(src, ns);
  return { start, nsPerPx: ns, spread: { layout, origin: posOf(layout, ns, start) } };
}

/** The same start and resolution over other events (the shown events changed). */
export function respread(s: TimeScale, src: SpreadSource): TimeScale {
  return spreadScale(s.start, s.nsPerPx, src);
}

export function toPx(s: TimeScale, t: number): number {
  const sp = s.spread;
  if (!sp) return (t - s.start) / s.nsPerPx;
  return posOf(sp.layout, s.nsPerPx, t) - sp.origin;
}

export function toTime(s: TimeScale, x: number): number {
  const sp = s.spread;
  if (!sp) return s.start + x * s.nsPerPx;
  return timeOf(sp.layout, s.nsPerPx, sp.origin + x);
}

/** The same resolution (and spread) with time `t` at `x`. */
export function placeAt(s: TimeScale, t: number, x: number): TimeScale {
  const sp = s.spread;
  if (!sp) return { start: t - x * s.nsPerPx, nsPerPx: s.nsPerPx };
  return withOrigin(sp.layout, s.nsPerPx, posOf(sp.layout, s.nsPerPx, t) - x);
}

/** Zooms by `factor` (>1 zooms in) keeping the time under `x` where it is. */
export function zoomAt(s: TimeScale, x: number, factor: number): TimeScale {
  const anchor = toTime(s, x);
  const nsPerPx = clampRes(s.nsPerPx / factor);
  if (!s.spread) return { start: anchor - x * nsPerPx, nsPerPx };
  return placeAt(spreadScale(s.start, nsPerPx, s.spread.layout.source), anchor, x);
}

/** Moves the view by `dx` pixels; positive dx drags the content right (earlier times). */
export function panBy(s: TimeScale, dx: number): TimeScale {
  const sp = s.spread;
  if (!sp) return { start: s.start - dx * s.nsPerPx, nsPerPx: s.nsPerPx };
  return withOrigin(sp.layout, s.nsPerPx, sp.origin - dx);
}

/** A linear scale showing [tMin, tMax] across `width` pixels, with `pad` pixels on either side. */
export function fitRange(tMin: number, tMax: number, width: number, pad = 24): TimeScale {
  const usable = Math.max(1, width - 2 * pad);
  const span = Math.max(tMax - tMin, MIN_NS_PER_PX * usable, 1);
  const nsPerPx = clampRes(span / usable);
  const mid = (tMin + tMax) / 2;
  return { start: mid - (width / 2) * nsPerPx, nsPerPx };
}

/**
 * Fits the events of `src` across `width` pixels with `pad` pixels on either side, spread apart
 * where they crowd: the finest resolution at which all of them fit. The axis starts `pad` pixels
 * before the first event, whatever its time.
 */
export function fitSpread(src: SpreadSource, width: number, pad = 24): TimeScale {
  const t = src.times.t;
  if (t.length === 0) return { start: 0, nsPerPx: 1e6 };
  const usable = Math.max(1, width - 2 * pad);
  // The extent only shrinks as the resolution coarsens.
  let lo = MIN_NS_PER_PX;
  let hi = MAX_NS_PER_PX;
  let ns: number;
  if (extentAt(src, lo) <= usable) ns = lo;
  else if (extentAt(src, hi) > usable) ns = hi;
  else {
    for (let i = 0; i < 64 && hi / lo > 1 + 1e-4; i++) {
      const mid = Math.sqrt(lo * hi);
      if (extentAt(src, mid) <= usable) hi = mid;
      else lo = mid;
    }
    ns = hi;
  }
  const layout = layoutSpread(src, ns);
  const extent = posOf(layout, ns, t[t.length - 1]!);
  return withOrigin(layout, ns, extent / 2 - width / 2);
}

/** Keeps the resolution and puts `t` at `fraction` of the width (follow-live, step mode). */
export function keepInView(s: TimeScale, t: number, width: number, fraction: number): TimeScale {
  return placeAt(s, t, fraction * width);
}

/** A widened stretch on screen: from x0 to x1, half a gap beyond its first and last event. */
export type ShownStretch = Stretch & { x0: number; x1: number };

/** The widened stretches of the scale that reach into [0, width]. */
export function visibleStretches(s: TimeScale, width: number): ShownStretch[] {
  const sp = s.spread;
  if (!sp?.layout.u) return [];
  const out: ShownStretch[] = [];
  const half = sp.layout.gapPx / 2;
  for (const st of sp.layout.stretches) {
    const x0 = toPx(s, st.t0) - half;
    const x1 = toPx(s, st.t1) + half;
    if (x1 < 0) continue;
    if (x0 > width) break;
    out.push({ ...st, x0, x1 });
  }
  return out;
}

export interface Tick {
  t: number;
  x: number;
  label: string;
}

const UNITS: readonly [number, string][] = [
  [1e9, 's'],
  [1e6, 'ms'],
  [1e3, 'µs'],
  [1, 'ns'],
];

/** The smallest 1-2-5 step (ns) at least `minPx` pixels wide. */
export function tickStep(nsPerPx: number, minPx = 90): number {
  const want = nsPerPx * minPx;
  let step = 10 ** Math.floor(Math.log10(Math.max(want, 1)));
  while (step < want) {
    const next = [1, 2, 5].map((m) => m * step).find((v) => v >= want);
    if (next !== undefined) return next;
    step *= 10;
  }
  return step;
}

/**
 * Ruler ticks across `width` pixels, labelled in a unit that suits the step, each where its time
 * falls: on a spread axis, ticks in a widened stretch are further apart than elsewhere.
 */
export function ticks(s: TimeScale, width: number, minPx = 90): Tick[] {
  const step = tickStep(s.nsPerPx, minPx);
  const [unit, name] = UNITS.find(([u]) => step >= u) ?? [1, 'ns'];
  const decimals = Math.max(0, Math.ceil(-Math.log10(step / unit) - 1e-9));
  // Trace time starts at 0: nothing to label before it.
  const firstIndex = Math.max(0, Math.ceil(s.start / step));
  const out: Tick[] = [];
  for (let i = firstIndex; out.length <= 1000; i++) {
    const t = i * step;
    const x = toPx(s, t);
    if (x > width) break;
    out.push({ t, x, label: `${(t / unit).toFixed(decimals)} ${name}` });
  }
  return out;
}
