// Delivery latency as a CDF per technique: the share of deliveries that arrived within x ms.
import uPlot from 'uplot';
import type { TechniqueResult } from '../../types';
import { formatMs } from '../format';
import { logTicks, tickNumber, tickPercent } from './axis';
import { axis, baseOptions, type ChartSpec, type Readout, techniqueLines, techniqueSwatch, xAxisSize, yAxisSize } from './base';
import { techniqueVar } from './colour';
import { type CdfData, cdfData } from './series';

/** Latencies below 1 µs are drawn at 1 µs on the log axis. */
export const LOG_FLOOR_MS = 0.001;

export function latencyReadout(d: CdfData, idx: number, shown: boolean[]): Readout | null {
  const x = d.x[idx];
  if (x === undefined) return null;
  return {
    title: `≤ ${formatMs(x)} ms`,
    values: d.shares.map((s, i) => (shown[i] ? tickPercent(s[idx]!) : null)),
  };
}

/** The x range that holds the shown curves (all of them when none is shown). */
export function latencyRange(d: CdfData, shown: boolean[], log: boolean): [number, number] {
  const ext = d.extents.filter((e, i) => e && shown[i]) as [number, number][];
  const use = ext.length ? ext : (d.extents.filter(Boolean) as [number, number][]);
  if (!use.length) return log ? [0.1, 1000] : [0, 1];
  const lo = Math.min(...use.map((e) => e[0]));
  const hi = Math.max(...use.map((e) => e[1]));
  if (log) {
    const a = Math.max(lo, LOG_FLOOR_MS) / 1.5;
    return [a, Math.max(hi * 1.5, a * 10)];
  }
  return [0, hi > 0 ? hi * 1.05 : 1];
}

export function latencySpec(results: TechniqueResult[], log: boolean): ChartSpec {
  const d = cdfData(results, log ? LOG_FLOOR_MS : 0);
  return {
    entries: d.techniques.map((t) => ({ id: t, label: t, swatch: techniqueSwatch(techniqueVar(t)) })),
    toggles: true,
    xTitle: log ? 'delivery latency, publish → client (ms, log scale)' : 'delivery latency, publish → client (ms)',
    yTitle: 'share of deliveries at or below (%)',
    idle: { title: 'median (p50)', values: results.map((r) => `${formatMs(r.metrics.latency_ms.p50)} ms`) },
    build(theme, shown) {
      const [min, max] = latencyRange(d, shown, log);
      const opts: uPlot.Options = {
        ...baseOptions(),
        width: 0,
        height: 0,
        scales: {
          x: { time: false, distr: log ? 3 : 1, log: 10, range: () => [min, max] },
          y: { range: () => [0, 1] },
        },
        axes: [
          axis(theme, {
            ...(log ? { splits: (u: uPlot) => logTicks(u.scales.x!.min!, u.scales.x!.max!) } : {}),
            values: (_u, splits) => splits.map(tickNumber),
            space: 44,
            size: xAxisSize(),
          }),
          axis(theme, {
            splits: () => [0, 0.25, 0.5, 0.75, 1],
            values: (_u, splits) => splits.map(tickPercent),
            size: yAxisSize(['100 %']),
          }),
        ],
        series: [
          {},
          // The CDF steps: a technique keeps its share until its next delivery.
          ...techniqueLines(theme, d.techniques, shown, uPlot.paths.stepped!({ align: 1 }), () => ({ show: false })),
        ],
      };
      return { opts, data: [d.x, ...d.shares], readout: (idx) => latencyReadout(d, idx, shown) };
    },
  };
}
