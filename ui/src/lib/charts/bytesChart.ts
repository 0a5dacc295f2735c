// Bytes on the wire per delivered message, one bar per technique: the solid lower part is
// header and framing, the faded upper part payload.
import uPlot from 'uplot';
import type { TechniqueResult } from '../../types';
import { categoryTicks, tickNumber } from './axis';
import { axis, baseOptions, type ChartSpec, type Readout, fitLabel, slotWidth, techniqueSwatch, xAxisSizeFor, yAxisSize } from './base';
import { mix, techniqueVar } from './colour';
import { barLabels } from './marks';
import { type BytesRow, bytesRows } from './series';

const round = (v: number) => Math.round(v).toLocaleString('en-US');

/** The readout over the bar at `idx` of the shown rows: only that technique gets a value. */
export function bytesReadout(rows: BytesRow[], shownRows: BytesRow[], idx: number): Readout | null {
  const r = shownRows[idx];
  if (!r) return null;
  return {
    title: 'per delivered message',
    values: rows.map((x) => (x === r ? `${round(r.total)} B` : null)),
    detail: [`${round(r.header)} B header and framing`, `${round(r.payload)} B payload`],
  };
}

export function bytesTop(rows: BytesRow[]): number {
  return Math.max(1, ...rows.map((r) => r.total)) * 1.18;
}

export function bytesSpec(results: TechniqueResult[]): ChartSpec {
  const rows = bytesRows(results);
  return {
    entries: rows.map((r) => ({ id: r.technique, label: r.technique, swatch: techniqueSwatch(techniqueVar(r.technique)) })),
    toggles: true,
    xTitle: 'technique',
    yTitle: 'bytes on the wire per delivered message (B)',
    idle: { title: 'per message', values: rows.map((r) => `${round(r.total)} B`) },
    build(theme, shown) {
      // A hidden technique leaves the chart, so the others get its room and its scale.
      const vis = rows.filter((_, i) => shown[i] ?? true);
      const top = bytesTop(vis);
      const bar = (alpha: number) =>
        uPlot.paths.bars!({
          size: [0.6, 90],
          disp: { fill: { unit: 3, values: () => vis.map((r) => alpha === 1 ? theme.colour(r.technique) : mix(theme.colour(r.technique), theme.bg, alpha)) } },
        });
      const opts: uPlot.Options = {
        ...baseOptions(),
        width: 0,
        height: 0,
        cursor: { ...baseOptions().cursor, points: { show: false } },
        scales: {
          x: { time: false, range: () => [-0.5, Math.max(0.5, vis.length - 0.5)] },
          y: { range: () => [0, top] },
        },
        axes: [
          axis(theme, {
            splits: () => categoryTicks(vis.length),
            values: (u) => vis.map((r) => fitLabel(r.technique, slotWidth(u, vis.length))),
            grid: { show: false },
            size: xAxisSizeFor,
          }),
          axis(theme, { values: (_u, splits) => splits.map(tickNumber), size: yAxisSize([tickNumber(top)]) }),
        ],
        // The total (faded) is drawn first; the header part (solid) over its lower end.
        series: [
          {},
          { label: 'payload', width: 0, fill: 'transparent', paths: bar(0.42), points: { show: false } },
          { label: 'header', width: 0, fill: 'transparent', paths: bar(1), points: { show: false } },
        ],
        hooks: { draw: [barLabels(theme, vis.map((r) => `${round(r.total)} B`), vis.map((r) => r.total))] },
      };
      const data: uPlot.AlignedData = [categoryTicks(vis.length), vis.map((r) => r.total), vis.map((r) => r.header)];
      return { opts, data, readout: (idx) => bytesReadout(rows, vis, idx) };
    },
  };
}
