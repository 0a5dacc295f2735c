import { describe, expect, it } from 'vitest';
import type { PredictionResult } from '../../types';
import { metricTitle, type PredictionFigures, predictionFigures } from './prediction';

const base: Omit<PredictionResult, 'figures'> = { run_id: 1, correct: true, explanation: '', predicted: '', measured: '', detail: [] };

describe('figures of a scored prediction', () => {
  it('passes on the figures the lab scored', () => {
    const number: PredictionFigures = { kind: 'number', measured: 0.69, guess: 0.7, unit: 'of all answers' };
    expect(predictionFigures({ ...base, figures: number })).toEqual(number);
    const choice: PredictionFigures = {
      kind: 'choice',
      metric: 'bytes on the wire per delivered message',
      values: [{ technique: 'websocket', value: 154 }, { technique: 'polling', value: 516 }],
      picked: 'polling',
      best: ['websocket'],
    };
    expect(predictionFigures({ ...base, figures: choice })).toEqual(choice);
  });

  it('draws nothing when there is nothing to draw', () => {
    expect(predictionFigures({ ...base, figures: { kind: 'choice', metric: 'x', values: [], picked: 'sse', best: [] } })).toBeNull();
    expect(predictionFigures({ ...base, figures: { kind: 'number', measured: Number.NaN, guess: 1, unit: '' } })).toBeNull();
  });

  it('titles the axis in the lab’s words', () => {
    expect(metricTitle('median delivery delay, ms')).toBe('median delivery delay, ms');
  });
});
