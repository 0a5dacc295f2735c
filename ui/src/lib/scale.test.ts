import { describe, expect, it } from 'vitest';
import { fitRange, keepInView, MIN_NS_PER_PX, panBy, tickStep, ticks, toPx, toTime, zoomAt } from './scale';

describe('time scale', () => {
  const s = { start: 1_000_000, nsPerPx: 1000 };

  it('maps time to pixels and back', () => {
    expect(toPx(s, 1_000_000)).toBe(0);
    expect(toPx(s, 1_500_000)).toBe(500);
    expect(toTime(s, 500)).toBe(1_500_000);
    for (const x of [-20, 0, 3.5, 777]) expect(toPx(s, toTime(s, x))).toBeCloseTo(x, 9);
  });

  it('zooms around a point, keeping the time under it', () => {
    const z = zoomAt(s, 300, 2);
    expect(z.nsPerPx).toBe(500);
    expect(toTime(z, 300)).toBeCloseTo(toTime(s, 300), 6);
    const out = zoomAt(z, 100, 0.25);
    expect(out.nsPerPx).toBe(2000);
    expect(toTime(out, 100)).toBeCloseTo(toTime(z, 100), 6);
  });

  it('does not zoom past the finest resolution', () => {
    const z = zoomAt(s, 0, 1e9);
    expect(z.nsPerPx).toBe(MIN_NS_PER_PX);
  });

  it('pans: dragging right shows earlier times', () => {
    const p = panBy(s, 100);
    expect(p.nsPerPx).toBe(s.nsPerPx);
    expect(toTime(p, 100)).toBe(toTime(s, 0));
  });

  it('fits a range inside the padding', () => {
    const f = fitRange(2e6, 12e6, 1048, 24);
    expect(toPx(f, 2e6)).toBeCloseTo(24, 6);
    expect(toPx(f, 12e6)).toBeCloseTo(1024, 6);
  });

  it('fits a single instant without dividing by zero', () => {
    const f = fitRange(5e6, 5e6, 800);
    expect(Number.isFinite(f.nsPerPx)).toBe(true);
    expect(toPx(f, 5e6)).toBeCloseTo(400, 6);
  });

  it('keeps a time at a fraction of the width', () => {
    const k = keepInView(s, 9e6, 1000, 0.9);
    expect(toPx(k, 9e6)).toBeCloseTo(900, 6);
    expect(k.nsPerPx).toBe(s.nsPerPx);
  });
});

describe('ruler', () => {
  it('picks 1-2-5 steps at least the minimum width apart', () => {
    expect(tickStep(1000, 90)).toBe(100_000);
    expect(tickStep(1500, 90)).toBe(200_000);
    expect(tickStep(4000, 90)).toBe(500_000);
    expect(tickStep(6000, 90)).toBe(1_000_000);
  });

  it('labels ticks in a unit that suits the step', () => {
    const ms = ticks({ start: 0, nsPerPx: 20_000 }, 500);
    expect(ms.map((t) => t.label).slice(0, 3)).toEqual(['0 ms', '2 ms', '4 ms']);
    const s = ticks({ start: 0, nsPerPx: 20_000_000 }, 500);
    expect(s[1]!.label).toBe('2 s');
    const frac = ticks({ start: 0, nsPerPx: 2_000 }, 500);
    expect(frac[1]!.label).toBe('200 µs');
    const us = ticks({ start: 0, nsPerPx: 2 }, 500);
    expect(us[1]!.label).toBe('200 ns');
  });

  it('has no ticks before time zero and none past the width', () => {
    const t = ticks({ start: -5e6, nsPerPx: 20_000 }, 500);
    expect(t[0]!.t).toBe(0);
    expect(t.every((k) => k.x >= 0 && k.x <= 500)).toBe(true);
  });
});
