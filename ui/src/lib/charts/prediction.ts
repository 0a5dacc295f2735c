// Reads the figures of a scored prediction back out of the lab's answer, for a small chart.
// The lab sends them as text (`PredictionResult`): "125 ms" for a number, and one
// "technique: metric = value" line per technique for a choice. When the text does not have
// that shape no chart is drawn; nothing here is measured.
import type { PredictionResult } from '../../types';

export type PredictionFigures =
  | { kind: 'number'; measured: number; guess: number; unit: string }
  | { kind: 'choice'; metric: string; values: { technique: string; value: number }[]; picked: string; best: string[] };

const NUMBER = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:\s+(.*))?$/i;
const RANKING = /^([\w-]+): ([\w.]+) = (-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/i;

/** The leading number of "0.69 of all answers" and the unit after it. */
export function leadingNumber(s: string): { value: number; unit: string } | null {
  const m = NUMBER.exec(s.trim());
  if (!m) return null;
  const value = Number(m[1]);
  return Number.isFinite(value) ? { value, unit: (m[2] ?? '').trim() } : null;
}

export function predictionFigures(r: PredictionResult, isChoice: boolean): PredictionFigures | null {
  if (!isChoice) {
    const measured = leadingNumber(r.measured);
    const guess = leadingNumber(r.predicted);
    if (!measured || !guess) return null;
    return { kind: 'number', measured: measured.value, guess: guess.value, unit: measured.unit };
  }
  const rows = r.detail.map((d) => RANKING.exec(d.trim()));
  if (rows.length === 0 || rows.some((m) => !m)) return null;
  const metric = rows[0]![2]!;
  if (rows.some((m) => m![2] !== metric)) return null;
  return {
    kind: 'choice',
    metric,
    values: rows.map((m) => ({ technique: m![1]!, value: Number(m![3]) })),
    picked: r.predicted,
    best: r.measured.split(' / ').map((s) => s.trim()),
  };
}

const METRIC_TITLES: Record<string, string> = {
  bytes_per_message: 'bytes per delivered message (B)',
  bytes_on_wire: 'bytes on the wire (B)',
  header_bytes: 'header bytes (B)',
  payload_bytes: 'payload bytes (B)',
  requests: 'HTTP requests',
  empty_responses: 'empty responses',
  requests_per_second: 'HTTP requests per second',
  requests_per_message: 'requests per delivered message',
  empty_share: 'share of answers that were empty (0–1)',
  header_share: 'share of bytes that were headers (0–1)',
  connections_opened: 'TCP connections opened',
  peak_connections: 'TCP connections open at once',
  'latency_ms.p50': 'median delivery latency (ms)',
  'latency_ms.p95': '95th percentile latency (ms)',
  'latency_ms.p99': '99th percentile latency (ms)',
  'latency_ms.max': 'longest delivery latency (ms)',
  'latency_ms.mean': 'mean delivery latency (ms)',
};

/** An axis title for a metric name of the course ("latency_ms.p50" → "median delivery latency (ms)"). */
export function metricTitle(metric: string): string {
  return METRIC_TITLES[metric] ?? metric.replace(/[._]/g, ' ');
}
