// HTTP requests started in each second of each technique's run.
import uPlot from 'uplot';
import type { TechniqueResult } from '../../types';
import { formatCount } from '../format';
import { tickNumber, WHOLE_STEPS } from './axis';
import { axis, baseOptions, type ChartSpec, type Readout, techniqueLines, techniqueSwatch, xAxisSize, yAxisSize } from './base';
import { techniqueVar } from './colour';
import { type RpsData, rpsData } from './series';

export function rpsReadout(d: RpsData, idx: number, shown: boolean[]): Readout | null {
  const x = d.x[idx];
  if (x === undefined) return null;
  const s = Math.floor(x);
  return {
    title: `${s}–${s + 1} s`,
    values: d.counts.map((c, i) => (shown[i] ? (c[idx] == null ? '—' : `${formatCount(c[idx]!)} req`) : null)),
  };
}

/** The top of the y axis: room above the highest shown count, at least 1. */
export function rpsTop(d: RpsData, shown: boolean[]): number {
  const vals = d.counts.filter((_, i) => shown[i]).flat().filter((v): v is number => v != null);
  return Math.max(1, ...vals) * 1.15;
}

export function rpsSpec(results: TechniqueResult[]): ChartSpec {
  const d = rpsData(results);
  return {
    entries: d.techniques.map((t) => ({ id: t, label: t, swatch: techniqueSwatch(techniqueVar(t)) })),
    toggles: true,
    xTitle: 'time into the technique’s run (s)',
    yTitle: 'HTTP requests started per second',
    idle: { title: 'in all', values: results.map((r) => `${formatCount(r.metrics.requests)} requests`) },
    build(theme, shown) {
      const top = rpsTop(d, shown);
      const opts: uPlot.Options = {
        ...baseOptions(),
        width: 0,
        height: 0,
        scales: {
          x: { time: false, range: () => [0, Math.max(1, d.x.length)] },
          y: { range: () => [0, top] },
        },
        axes: [
          axis(theme, { incrs: WHOLE_STEPS, values: (_u, splits) => splits.map(tickNumber), space: 40, size: xAxisSize() }),
          axis(theme, { incrs: WHOLE_STEPS, values: (_u, splits) => splits.map(tickNumber), size: yAxisSize([tickNumber(top)]) }),
        ],
        series: [
          {},
          ...techniqueLines(theme, d.techniques, shown, uPlot.paths.linear!(), (fill) => ({ show: true, size: 6, fill })),
        ],
      };
      return { opts, data: [d.x, ...d.counts], readout: (idx) => rpsReadout(d, idx, shown) };
    },
  };
}
