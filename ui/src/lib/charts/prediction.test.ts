import { describe, expect, it } from 'vitest';
import { leadingNumber, metricTitle, predictionFigures } from './prediction';

const base = { run_id: 1, correct: true, explanation: '' };

describe('figures of a scored prediction', () => {
  it('reads the number and its unit', () => {
    expect(leadingNumber('0.69 of all answers')).toEqual({ value: 0.69, unit: 'of all answers' });
    expect(leadingNumber('125 ms')).toEqual({ value: 125, unit: 'ms' });
    expect(leadingNumber('12')).toEqual({ value: 12, unit: '' });
    expect(leadingNumber('polling')).toBeNull();
  });

  it('gives the measured value and the guess of a number prediction', () => {
    const f = predictionFigures({ ...base, predicted: '0.70 of all answers', measured: '0.69 of all answers', detail: ['Counted as right within ±25% of the measurement.'] }, false);
    expect(f).toEqual({ kind: 'number', measured: 0.69, guess: 0.7, unit: 'of all answers' });
  });

  it('gives every technique’s value, the pick and the best of a choice prediction', () => {
    const f = predictionFigures(
      { ...base, predicted: 'polling', measured: 'websocket', detail: ['websocket: bytes_per_message = 154', 'polling: bytes_per_message = 516'] },
      true,
    );
    expect(f).toEqual({
      kind: 'choice',
      metric: 'bytes_per_message',
      values: [{ technique: 'websocket', value: 154 }, { technique: 'polling', value: 516 }],
      picked: 'polling',
      best: ['websocket'],
    });
    const tie = predictionFigures({ ...base, predicted: 'sse', measured: 'sse / websocket', detail: ['sse: requests = 5', 'websocket: requests = 5'] }, true);
    expect(tie && tie.kind === 'choice' && tie.best).toEqual(['sse', 'websocket']);
  });

  it('draws nothing when the text has another shape', () => {
    expect(predictionFigures({ ...base, predicted: 'a lot', measured: '3 ms', detail: [] }, false)).toBeNull();
    expect(predictionFigures({ ...base, predicted: 'sse', measured: 'sse', detail: [] }, true)).toBeNull();
    expect(predictionFigures({ ...base, predicted: 'sse', measured: 'sse', detail: ['sse: requests = 5', 'the rest'] }, true)).toBeNull();
    expect(predictionFigures({ ...base, predicted: 'sse', measured: 'sse', detail: ['sse: requests = 5', 'websocket: ws_frames = 5'] }, true)).toBeNull();
  });

  it('titles the axis by the metric, with its unit', () => {
    expect(metricTitle('latency_ms.p50')).toBe('median delivery latency (ms)');
    expect(metricTitle('bytes_per_message')).toBe('bytes per delivered message (B)');
    expect(metricTitle('ws_frames')).toBe('ws frames');
  });
});
