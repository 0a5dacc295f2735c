import { describe, expect, it } from 'vitest';
import { bytesRows, cdfData, rpsData } from './series';
import { result } from './testing';

describe('chart series from the lab results', () => {
  it('aligns latency CDFs on one x column, each keeping its last share between its points', () => {
    const d = cdfData([
      result('polling', { latency_cdf: [[10, 0.5], [100, 1]] }),
      result('sse', { latency_cdf: [[1, 0.25], [10, 0.75], [20, 1]] }),
    ]);
    expect(d.x).toEqual([1, 10, 20, 100]);
    expect(d.shares[0]).toEqual([0, 0.5, 0.5, 1]);
    expect(d.shares[1]).toEqual([0.25, 0.75, 1, 1]);
    expect(d.extents).toEqual([[10, 100], [1, 20]]);
    expect(d.techniques).toEqual(['polling', 'sse']);
  });

  it('lifts latencies below the floor (a log axis has no 0) and handles a technique with no deliveries', () => {
    const d = cdfData([result('websocket', { latency_cdf: [[0, 0.5], [2, 1]] }), result('polling')], 0.001);
    expect(d.x).toEqual([0.001, 2]);
    expect(d.shares[1]).toEqual([0, 0]);
    expect(d.extents[1]).toBeNull();
  });

  it('puts requests per second at the middle of each second, null after a shorter run', () => {
    const d = rpsData([result('polling', { requests_per_second: [4, 5, 6] }), result('sse', { requests_per_second: [3] })]);
    expect(d.x).toEqual([0.5, 1.5, 2.5]);
    expect(d.counts).toEqual([[4, 5, 6], [3, null, null]]);
    expect(rpsData([]).x).toEqual([]);
  });

  it('splits bytes per delivered message into header and payload, total as Rust computed it', () => {
    const [r] = bytesRows([result('polling', { m: { delivered: 4, header_bytes: 400, payload_bytes: 100, bytes_per_message: 125 } })]);
    expect(r).toEqual({ technique: 'polling', header: 100, payload: 25, total: 125 });
    const [none] = bytesRows([result('sse', { m: { delivered: 0, header_bytes: 50, payload_bytes: 0 } })]);
    expect(none).toMatchObject({ header: 0, payload: 0, total: 0 });
  });
});
