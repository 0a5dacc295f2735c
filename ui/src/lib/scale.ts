/** Maps trace time (ns) to canvas x (CSS px): x = (t − start) / nsPerPx. */
export interface TimeScale {
  /** Time at x = 0. */
  readonly start: number;
  readonly nsPerPx: number;
}

/** 10 ns per pixel at the closest; an hour across a thousand pixels at the widest. */
export const MIN_NS_PER_PX = 10;
export const MAX_NS_PER_PX = 3.6e9;

function clampRes(nsPerPx: number): number {
  return Math.min(MAX_NS_PER_PX, Math.max(MIN_NS_PER_PX, nsPerPx));
}

export function toPx(s: TimeScale, t: number): number {
  return (t - s.start) / s.nsPerPx;
}

export function toTime(s: TimeScale, x: number): number {
  return s.start + x * s.nsPerPx;
}

/** Zooms by `factor` (>1 zooms in) keeping the time under `x` where it is. */
export function zoomAt(s: TimeScale, x: number, factor: number): TimeScale {
  const anchor = toTime(s, x);
  const nsPerPx = clampRes(s.nsPerPx / factor);
  return { start: anchor - x * nsPerPx, nsPerPx };
}

/** Moves the view by `dx` pixels; positive dx drags the content right (earlier times). */
export function panBy(s: TimeScale, dx: number): TimeScale {
  return { start: s.start - dx * s.nsPerPx, nsPerPx: s.nsPerPx };
}

/** A scale showing [tMin, tMax] across `width` pixels, with `pad` pixels on either side. */
export function fitRange(tMin: number, tMax: number, width: number, pad = 24): TimeScale {
  const usable = Math.max(1, width - 2 * pad);
  const span = Math.max(tMax - tMin, MIN_NS_PER_PX * usable, 1);
  const nsPerPx = clampRes(span / usable);
  const mid = (tMin + tMax) / 2;
  return { start: mid - (width / 2) * nsPerPx, nsPerPx };
}

/** Keeps the resolution and puts `t` at `fraction` of the width (follow-live, step mode). */
export function keepInView(s: TimeScale, t: number, width: number, fraction: number): TimeScale {
  return { start: t - fraction * width * s.nsPerPx, nsPerPx: s.nsPerPx };
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

/** Ruler ticks across `width` pixels, labelled in a unit that suits the step. */
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
