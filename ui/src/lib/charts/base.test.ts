import { describe, expect, it } from 'vitest';
import type uPlot from 'uplot';
import { AXIS_PX, fitLabel, xAxisSize, xAxisSizeFor, yAxisSize } from './base';

describe('axis room', () => {
  it('breaks a hyphenated category name only when its slot is too narrow', () => {
    expect(fitLabel('long-polling', 200)).toBe('long-polling');
    expect(fitLabel('long-polling', 60)).toBe('long-\npolling');
    expect(fitLabel('websocket', 40)).toBe('websocket');
  });

  it('makes an x axis tall enough for every line of its tick text', () => {
    const u = null as unknown as uPlot;
    expect(xAxisSize()).toBeGreaterThan(AXIS_PX);
    expect(xAxisSizeFor(u, ['polling', 'long-\npolling'])).toBe(xAxisSize(2));
    expect(xAxisSizeFor(u, ['1', '10'])).toBe(xAxisSize(1));
    expect(xAxisSizeFor(u, null)).toBe(xAxisSize(1));
    expect(xAxisSize(2)).toBeGreaterThanOrEqual(xAxisSize(1) + AXIS_PX);
  });

  it('makes a y axis wide enough for its longest label', () => {
    expect(yAxisSize(['100 %'])).toBeGreaterThan(yAxisSize(['0']));
  });
});
