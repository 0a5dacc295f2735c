// What every chart shares: the spec a chart module hands to <Chart>, the theme it draws
// with, and axis defaults sized for reading (12 px text, units in the titles).
//
// The charts are drawn with uPlot: it is small (~50 KB, no dependencies), draws 100k points
// on a canvas without lag, has log scales, bar paths and cursor hooks, and is maintained.
import uPlot from 'uplot';

/** Tick text size in CSS pixels; the e2e test checks the rendered glyphs are this big. */
export const AXIS_PX = 12;

export interface ChartTheme {
  fg: string;
  muted: string;
  grid: string;
  border: string;
  bg: string;
  /** A neutral series colour (a single measured value). */
  accent: string;
  /** The learner's own marks (a guess). */
  mark: string;
  sans: string;
  /** A technique's colour in this theme. */
  colour(technique: string): string;
}

export interface LegendEntry {
  id: string;
  label: string;
  /** CSS colour for the legend swatch (may be a `var(--…)`). */
  swatch: string;
  /** Drawn as a dashed line (a marker such as the learner's guess) rather than a block. */
  dashed?: boolean;
}

/** Values per legend entry: under the cursor (tooltip), or a summary (legend). */
export interface Readout {
  title: string;
  /** One per legend entry; null leaves the entry's value blank. */
  values: (string | null)[];
  /** Further lines under the values (a bar's parts). */
  detail?: string[];
}

export interface Built {
  /** Width and height are set by <Chart> from its card. */
  opts: uPlot.Options;
  data: uPlot.AlignedData;
  /** The readout at a data index of `data`. */
  readout(idx: number): Readout | null;
}

export interface ChartSpec {
  entries: LegendEntry[];
  /** Whether clicking a legend entry hides it (techniques), or the legend is only a key. */
  toggles: boolean;
  xTitle: string;
  yTitle: string;
  idle: Readout;
  /** `shown[i]` tells whether entries[i] is visible. */
  build(theme: ChartTheme, shown: boolean[]): Built;
}

export function axisFont(theme: ChartTheme): string {
  return `${AXIS_PX}px ${theme.sans}`;
}

/** Height of an x axis with `lines` lines of tick text (tick, gap, text, a little air). */
export function xAxisSize(lines = 1): number {
  return 4 + 4 + Math.ceil(AXIS_PX * (1 + 1.5 * (lines - 1))) + 8;
}

/** An x axis size that fits its tick text, however many lines the labels have. */
export function xAxisSizeFor(_u: uPlot, values: string[] | null): number {
  return xAxisSize(Math.max(1, ...(values ?? []).map((v) => String(v ?? '').split('\n').length)));
}

/**
 * A category label that fits a bar's slot: a hyphenated name too wide for `slotPx` breaks
 * after its hyphens ("long-\npolling") rather than running into its neighbours.
 */
export function fitLabel(label: string, slotPx: number): string {
  const wide = label.length * AXIS_PX * 0.6 > slotPx - 6;
  return wide && label.includes('-') ? label.replace(/-/g, '-\n') : label;
}

/** Width in CSS px of each of `n` category slots across the plot area. */
export function slotWidth(u: uPlot, n: number): number {
  // bbox is in canvas pixels; pxRatio is unset outside a browser (tests).
  return u.bbox.width / (uPlot.pxRatio || 1) / Math.max(1, n);
}

/** Room for the longest tick label of a y axis (uPlot cannot know our font metrics ahead). */
export function yAxisSize(labels: string[]): number {
  const longest = Math.max(1, ...labels.map((l) => l.length));
  return Math.ceil(longest * AXIS_PX * 0.62) + 16;
}

export function axis(theme: ChartTheme, extra: uPlot.Axis): uPlot.Axis {
  return {
    stroke: theme.fg,
    font: axisFont(theme),
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.border, width: 1, size: 4 },
    border: { show: true, stroke: theme.border, width: 1 },
    gap: 4,
    ...extra,
  };
}

/** Options every chart starts from: our own legend, no drag-zoom, hover only. */
export function baseOptions(): Pick<uPlot.Options, 'legend' | 'cursor' | 'select' | 'padding'> {
  return {
    legend: { show: false },
    cursor: { drag: { x: false, y: false, setScale: false }, points: { size: 7 } },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    padding: [10, 14, 0, 0],
  };
}

/** The technique colour as swatch CSS (follows the theme without redrawing the legend). */
export function techniqueSwatch(cssVar: string): string {
  return `var(${cssVar})`;
}

/** One line series per technique, in its colour, hidden where the legend turned it off. */
export function techniqueLines(
  theme: ChartTheme,
  techniques: readonly string[],
  shown: readonly boolean[],
  paths: uPlot.Series.PathBuilder,
  points: (colour: string) => uPlot.Series.Points,
): uPlot.Series[] {
  return techniques.map((t, i) => ({ label: t, show: shown[i] ?? true, stroke: theme.colour(t), width: 2, paths, points: points(theme.colour(t)) }));
}
