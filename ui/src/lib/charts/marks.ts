// Things drawn on top of a chart's series, in canvas pixels: value labels above bars and a
// dashed horizontal marker line (a learner's guess).
import uPlot from 'uplot';
import { AXIS_PX, type ChartTheme } from './base';

function font(theme: ChartTheme, weight = ''): string {
  return `${weight}${AXIS_PX * uPlot.pxRatio}px ${theme.sans}`;
}

/** Writes `labels[i]` above the bar at x = i, height `values[i]`. */
export function barLabels(theme: ChartTheme, labels: string[], values: number[]) {
  return (u: uPlot) => {
    const ctx = u.ctx;
    ctx.save();
    ctx.font = font(theme);
    ctx.fillStyle = theme.fg;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    labels.forEach((l, i) => ctx.fillText(l, u.valToPos(i, 'x', true), u.valToPos(values[i] ?? 0, 'y', true) - 4 * uPlot.pxRatio));
    ctx.restore();
  };
}

/** A dashed line across the plot at y = `value`, labelled at its left end (clear of centred bars). */
export function markerLine(theme: ChartTheme, value: number, colour: string, label: string) {
  return (u: uPlot) => {
    const ctx = u.ctx;
    const px = uPlot.pxRatio;
    const y = Math.round(u.valToPos(value, 'y', true)) + 0.5;
    const { left, width } = u.bbox;
    ctx.save();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 2 * px;
    ctx.setLineDash([6 * px, 4 * px]);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.font = font(theme, '600 ');
    ctx.fillStyle = colour;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, left + 4 * px, y - 4 * px);
    ctx.restore();
  };
}
