// The chart beside a scored prediction: the measured value(s) as bars, the learner's guess
// marked — a dashed line for a number, the picked technique's bar labelled for a choice.
import uPlot from 'uplot';
import { categoryTicks, tickNumber } from './axis';
import { axis, baseOptions, type ChartSpec, type ChartTheme, fitLabel, slotWidth, techniqueSwatch, xAxisSizeFor, yAxisSize } from './base';
import { techniqueVar } from './colour';
import { barLabels, markerLine } from './marks';
import { metricTitle, type PredictionFigures } from './prediction';

const fmt = (v: number) => tickNumber(v);

/** Bars with their values written above them, or with `marks` drawn instead. */
function bars(theme: ChartTheme, colours: string[], labels: string[], values: number[], top: number, marks?: (u: uPlot) => void): uPlot.Options {
  return {
    ...baseOptions(),
    width: 0,
    height: 0,
    cursor: { ...baseOptions().cursor, points: { show: false } },
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(0.5, values.length - 0.5)] },
      y: { range: () => [0, top] },
    },
    axes: [
      axis(theme, {
        splits: () => categoryTicks(values.length),
        values: (u) => labels.map((l) => l.split('\n').map((part) => fitLabel(part, slotWidth(u, labels.length))).join('\n')),
        grid: { show: false },
        size: xAxisSizeFor,
      }),
      axis(theme, { values: (_u, splits) => splits.map(tickNumber), size: yAxisSize([tickNumber(top)]) }),
    ],
    series: [
      {},
      {
        label: 'measured',
        width: 0,
        fill: 'transparent',
        points: { show: false },
        paths: uPlot.paths.bars!({ size: [0.5, 70], disp: { fill: { unit: 3, values: () => colours } } }),
      },
    ],
    hooks: { draw: [marks ?? barLabels(theme, values.map(fmt), values)] },
  };
}

/** Tick label of a choice's bar: the learner's pick says so on a second line. */
export function choiceLabel(technique: string, picked: string): string {
  return technique === picked ? `${technique}\n(your pick)` : technique;
}

export function predictionSpec(f: PredictionFigures): ChartSpec {
  if (f.kind === 'number') {
    const unit = f.unit ? ` ${f.unit}` : '';
    const top = Math.max(f.measured, f.guess, 1e-9) * 1.25;
    return {
      entries: [
        { id: 'measured', label: 'measured', swatch: 'var(--accent)' },
        { id: 'guess', label: 'your guess', swatch: 'var(--cat-app)', dashed: true },
      ],
      toggles: false,
      xTitle: '',
      yTitle: f.unit ? `measured value (${f.unit})` : 'measured value',
      idle: { title: '', values: [`${fmt(f.measured)}${unit}`, `${fmt(f.guess)}${unit}`] },
      build(theme) {
        // The legend gives both numbers; the line's own label would collide with a value label.
        const opts = bars(theme, [theme.accent], ['measured'], [f.measured], top, markerLine(theme, f.guess, theme.mark, `your guess ${fmt(f.guess)}`));
        return {
          opts,
          data: [[0], [f.measured]],
          readout: () => ({ title: '', values: [`${fmt(f.measured)}${unit}`, `${fmt(f.guess)}${unit}`] }),
        };
      },
    };
  }
  const values = f.values.map((v) => v.value);
  const top = Math.max(1e-9, ...values) * 1.25;
  const all = f.values.map((v) => `${fmt(v.value)}`);
  return {
    entries: f.values.map((v) => ({
      id: v.technique,
      label: v.technique === f.picked ? `${v.technique} (your pick)` : v.technique,
      swatch: techniqueSwatch(techniqueVar(v.technique)),
    })),
    toggles: false,
    xTitle: '',
    yTitle: metricTitle(f.metric),
    idle: { title: '', values: all },
    build(theme) {
      const opts = bars(
        theme,
        f.values.map((v) => theme.colour(v.technique)),
        f.values.map((v) => choiceLabel(v.technique, f.picked)),
        values,
        top,
      );
      return {
        opts,
        data: [categoryTicks(values.length), values],
        readout: (idx) => (f.values[idx] ? { title: '', values: all.map((v, i) => (i === idx ? v : null)) } : null),
      };
    },
  };
}
