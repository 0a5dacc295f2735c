// Builders shared by the chart tests: results shaped like the lab's, a fixed theme.
import type { TechniqueResult } from '../../types';
import type { ChartTheme } from './base';

export function result(technique: string, over: Partial<TechniqueResult> & { m?: Partial<TechniqueResult['metrics']> } = {}): TechniqueResult {
  const { m, ...rest } = over;
  return {
    technique,
    expected_deliveries: 10,
    latency_cdf: [],
    requests_per_second: [],
    ...rest,
    metrics: {
      technique,
      published: 10,
      delivered: 10,
      duplicates: 0,
      requests: 0,
      empty_responses: 0,
      stream_responses: 0,
      bytes_on_wire: 0,
      header_bytes: 0,
      payload_bytes: 0,
      bytes_per_message: 0,
      latency_ms: { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
      connections_opened: 1,
      peak_connections: 1,
      open_connections: 0,
      ws_frames: 0,
      sse_events: 0,
      ws_pings: 0,
      ws_pongs: 0,
      sse_comments: 0,
      resumed_requests: 0,
      protocol_errors: 0,
      duration_s: 1,
      requests_per_second: 0,
      ...m,
    },
  };
}

export const THEME: ChartTheme = {
  fg: '#111111',
  muted: '#555555',
  grid: '#eeeeee',
  border: '#dddddd',
  bg: '#ffffff',
  accent: '#2463eb',
  mark: '#c77700',
  sans: 'sans-serif',
  colour: (t) => (t === 'polling' ? '#d64541' : '#3465a4'),
};
