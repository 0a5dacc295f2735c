// Tick placement and tick text for the charts. Units are in the axis titles, so tick text is
// the bare number; readouts (see readout.ts) repeat the unit next to each value.

/** A tick number: at most 3 significant digits, no trailing zeros, thousands grouped. */
export function tickNumber(v: number): string {
  if (!Number.isFinite(v)) return '';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(3)));
}

/** A share (0..1) as a percentage tick: "50 %". */
export function tickPercent(share: number): string {
  return `${tickNumber(Math.round(share * 1000) / 10)} %`;
}

/**
 * Ticks for a log axis between `min` and `max`: every power of ten, and the 2 and 5 steps
 * between them when the axis spans few decades (so a narrow range still gets several ticks).
 */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > min)) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const steps = hi - lo <= 3 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const s of steps) {
      // Rounded to the decade's precision so 0.1 * 3 style float noise never reaches a label.
      const v = Number((s * 10 ** e).toPrecision(3));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

/** Integer positions 0..n-1: one tick per category of a bar chart. */
export function categoryTicks(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Whole-number ticks (counts, seconds): uPlot may only step by these. */
export const WHOLE_STEPS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000, 100000];
