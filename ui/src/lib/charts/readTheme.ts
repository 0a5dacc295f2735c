// The chart theme from the page's CSS custom properties (app.css), read when a chart is
// (re)built, so charts follow the light/dark switch like the timeline does.
import type { ChartTheme } from './base';
import { techniqueVar } from './colour';

export function readChartTheme(root: Element = document.documentElement): ChartTheme {
  const cs = getComputedStyle(root);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  return {
    fg: v('--fg', '#1b2230'),
    muted: v('--muted', '#5b6576'),
    grid: v('--tl-grid', '#eceff4'),
    border: v('--border', '#d6dbe3'),
    bg: v('--bg', '#ffffff'),
    accent: v('--accent', '#2463eb'),
    mark: v('--cat-app', '#c77700'),
    sans: v('--sans', 'sans-serif'),
    colour: (t) => v(techniqueVar(t), '#6b7788'),
  };
}
