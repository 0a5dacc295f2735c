import { describe, expect, it } from 'vitest';
import type uPlot from 'uplot';
import { AXIS_PX } from './base';
import { bytesSpec } from './bytesChart';
import { latencyRange, latencySpec } from './latencyChart';
import { choiceLabel, predictionSpec } from './predictionChart';
import { rpsSpec } from './rpsChart';
import { cdfData } from './series';
import { result, THEME } from './testing';

const results = [
  result('polling', {
    latency_cdf: [[50, 0.5], [240, 1]],
    requests_per_second: [20, 22],
    m: { delivered: 10, header_bytes: 4000, payload_bytes: 640, bytes_per_message: 464, requests: 42, latency_ms: { p50: 97.5, p95: 240, p99: 240, max: 240, mean: 100 } },
  }),
  result('websocket', {
    latency_cdf: [[1, 0.5], [2.5, 1]],
    requests_per_second: [3],
    m: { delivered: 10, header_bytes: 900, payload_bytes: 640, bytes_per_message: 154, requests: 3, latency_ms: { p50: 1.37, p95: 2.2, p99: 2.5, max: 2.5, mean: 1.5 } },
  }),
];

const px = (font: unknown) => Number(/(\d+(?:\.\d+)?)px/.exec(String(font))?.[1]);
/** Tick labels as uPlot would ask for them on a plot `plotPx` wide. */
const ticks = (opts: uPlot.Options, axis: number, splits: number[], plotPx = 1000) =>
  (opts.axes![axis]!.values as (u: unknown, s: number[]) => string[])({ bbox: { width: plotPx } }, splits);

describe('chart specs', () => {
  it('draws every axis at a readable size and names the units in the titles', () => {
    for (const spec of [latencySpec(results, true), latencySpec(results, false), rpsSpec(results), bytesSpec(results)]) {
      const { opts } = spec.build(THEME, [true, true]);
      expect(opts.axes).toHaveLength(2);
      for (const a of opts.axes!) expect(px(a.font)).toBeGreaterThanOrEqual(11);
      expect(spec.yTitle).toMatch(/\((ms|%|B|s)\)|per second/);
    }
    expect(AXIS_PX).toBeGreaterThanOrEqual(11);
    expect(latencySpec(results, true).xTitle).toContain('ms, log scale');
    expect(latencySpec(results, false).xTitle).toContain('(ms)');
    expect(rpsSpec(results).xTitle).toContain('(s)');
  });

  it('reads the latency CDF at the cursor: the x in ms, each shown technique’s share', () => {
    const spec = latencySpec(results, true);
    const b = spec.build(THEME, [true, true]);
    expect(b.data[0]).toEqual([1, 2.5, 50, 240]);
    expect(b.readout(2)).toEqual({ title: '≤ 50.0 ms', values: ['50 %', '100 %'] });
    expect(spec.build(THEME, [false, true]).readout(0)).toEqual({ title: '≤ 1.00 ms', values: [null, '50 %'] });
    expect(spec.idle.values).toEqual(['97.5 ms', '1.37 ms']);
    expect(ticks(b.opts, 1, [0, 0.5, 1])).toEqual(['0 %', '50 %', '100 %']);
    expect(b.opts.scales!.x!.distr).toBe(3);
    expect(latencySpec(results, false).build(THEME, [true, true]).opts.scales!.x!.distr).toBe(1);
  });

  it('zooms the latency axis to the techniques left shown', () => {
    const d = cdfData(results, 0.001);
    const [lo, hi] = latencyRange(d, [false, true], true);
    expect(lo).toBeCloseTo(1 / 1.5);
    expect(hi).toBeCloseTo(10 / 1.5);
    expect(latencyRange(d, [true, true], false)).toEqual([0, 240 * 1.05]);
    expect(latencyRange(d, [false, false], true)[1]).toBeCloseTo(360);
  });

  it('reads requests per second at the cursor, a dash after a run ended', () => {
    const b = rpsSpec(results).build(THEME, [true, true]);
    expect(b.readout(1)).toEqual({ title: '1–2 s', values: ['22 req', '—'] });
    expect(rpsSpec(results).idle.values).toEqual(['42 requests', '3 requests']);
  });

  it('drops a hidden technique’s bar and reads the split of the bar under the cursor', () => {
    const spec = bytesSpec(results);
    const both = spec.build(THEME, [true, true]);
    expect(both.data).toEqual([[0, 1], [464, 154], [400, 90]]);
    expect(both.readout(1)).toEqual({ title: 'per delivered message', values: [null, '154 B'], detail: ['90 B header and framing', '64 B payload'] });
    const ws = spec.build(THEME, [false, true]);
    expect(ws.data).toEqual([[0], [154], [90]]);
    expect(ticks(ws.opts, 0, [0])).toEqual(['websocket']);
    expect(ws.readout(0)?.values).toEqual([null, '154 B']);
    // Narrow slots break hyphenated names instead of overlapping them.
    const four = bytesSpec([...results, result('long-polling'), result('sse')]).build(THEME, [true, true, true, true]);
    expect(ticks(four.opts, 0, [0, 1, 2, 3], 240)).toEqual(['polling', 'websocket', 'long-\npolling', 'sse']);
    expect(ticks(four.opts, 0, [0, 1, 2, 3], 800)).toEqual(['polling', 'websocket', 'long-polling', 'sse']);
  });

  it('marks a numeric guess as a line the y axis has room for', () => {
    const spec = predictionSpec({ kind: 'number', measured: 107, guess: 300, unit: 'ms' });
    const b = spec.build(THEME, [true, true]);
    const [lo, hi] = (b.opts.scales!.y!.range as () => [number, number])();
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(300);
    expect(b.opts.hooks!.draw).toHaveLength(1);
    expect(spec.idle.values).toEqual(['107 ms', '300 ms']);
    expect(spec.entries.map((e) => e.label)).toEqual(['measured', 'your guess']);
    expect(spec.yTitle).toBe('measured value (ms)');
  });

  it('labels the picked technique’s bar of a choice', () => {
    const spec = predictionSpec({
      kind: 'choice',
      metric: 'bytes on the wire per delivered message',
      values: [{ technique: 'polling', value: 516 }, { technique: 'websocket', value: 154 }],
      picked: 'websocket',
      best: ['polling'],
    });
    const b = spec.build(THEME, [true, true]);
    expect(ticks(b.opts, 0, [0, 1])).toEqual(['polling', 'websocket\n(your pick)']);
    expect(spec.yTitle).toBe('bytes on the wire per delivered message');
    expect(b.readout(0)).toEqual({ title: '', values: ['516', null] });
    expect(choiceLabel('sse', 'sse')).toBe('sse\n(your pick)');
  });
});
