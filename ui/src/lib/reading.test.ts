import { describe, expect, it } from 'vitest';
import type { Metrics, TechniqueResult } from '../types';
import { readResults } from './reading';

function result(technique: string, m: Partial<Metrics>, expected = 200): TechniqueResult {
  const metrics: Metrics = {
    technique,
    published: 10,
    delivered: 200,
    duplicates: 0,
    requests: 20,
    empty_responses: 0,
    bytes_on_wire: 30000,
    header_bytes: 10000,
    payload_bytes: 20000,
    bytes_per_message: 150,
    latency_ms: { p50: 1.5, p95: 2, p99: 2.5, max: 3, mean: 1.6 },
    connections_opened: 20,
    peak_connections: 20,
    ws_frames: 0,
    sse_events: 0,
    protocol_errors: 0,
    duration_s: 5,
    requests_per_second: 4,
    ...m,
  };
  return { technique, expected_deliveries: expected, metrics, latency_cdf: [], requests_per_second: [] };
}

describe('plain-language reading', () => {
  const polling = result('polling', {
    requests: 379,
    empty_responses: 179,
    bytes_per_message: 516,
    bytes_on_wire: 103000,
    header_bytes: 77000,
    latency_ms: { p50: 97.5, p95: 241, p99: 244, max: 250, mean: 100 },
    connections_opened: 20,
  });
  const ws = result('websocket', { bytes_per_message: 154, latency_ms: { p50: 1.37, p95: 2.2, p99: 2.46, max: 2.56, mean: 1.4 } });

  it('compares speed and cost and explains empty polls', () => {
    const text = readResults([polling, ws]).join('\n');
    expect(text).toContain('Every technique delivered every expected message');
    expect(text).toContain('Fastest delivery: websocket');
    expect(text).toContain('about 71× longer');
    expect(text).toContain('Cheapest on the wire: websocket, 154 B');
    expect(text).toContain('75 % of its bytes being headers');
    expect(text).toContain('179 of 379 requests (47 %) came back empty');
    expect(text).toContain('websocket kept one long-lived connection per client');
    expect(text).not.toContain('polling kept one');
  });

  it('says when messages were missing', () => {
    const text = readResults([result('sse', { delivered: 150 })]).join('\n');
    expect(text).toContain('sse delivered 150 of 200 expected messages (75 %)');
    expect(text).not.toContain('every expected message');
  });

  it('says nothing without results', () => {
    expect(readResults([])).toEqual([]);
  });
});
