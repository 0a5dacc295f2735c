import { describe, expect, it } from 'vitest';
import { categoryTicks, logTicks, tickNumber, tickPercent } from './axis';

describe('axis ticks', () => {
  it('writes tick numbers with at most 3 significant digits', () => {
    expect(tickNumber(0)).toBe('0');
    expect(tickNumber(0.005)).toBe('0.005');
    expect(tickNumber(0.1 + 0.2)).toBe('0.3');
    expect(tickNumber(12.5)).toBe('12.5');
    expect(tickNumber(123.456)).toBe('123');
    expect(tickNumber(1234)).toBe('1,234');
    expect(tickNumber(Number.NaN)).toBe('');
  });

  it('writes shares as percentages', () => {
    expect(tickPercent(0)).toBe('0 %');
    expect(tickPercent(0.5)).toBe('50 %');
    expect(tickPercent(0.995)).toBe('99.5 %');
    expect(tickPercent(1)).toBe('100 %');
  });

  it('puts log ticks on decades, with 2 and 5 steps over a narrow range', () => {
    expect(logTicks(0.01, 1000)).toEqual([0.01, 0.1, 1, 10, 100, 1000]);
    expect(logTicks(0.33, 4.5)).toEqual([0.5, 1, 2]);
    expect(logTicks(0.001, 0.02)).toEqual([0.001, 0.002, 0.005, 0.01, 0.02]);
    expect(logTicks(0, 10)).toEqual([]);
    expect(logTicks(5, 5)).toEqual([]);
  });

  it('gives one tick per bar', () => {
    expect(categoryTicks(3)).toEqual([0, 1, 2]);
    expect(categoryTicks(0)).toEqual([]);
  });
});
