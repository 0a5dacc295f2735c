// Maps the figures Rust computed (`TechniqueResult`) to the column arrays uPlot draws.
// Nothing is measured or re-derived here: values are copied, aligned on one x column, or
// (bytes) divided by the delivered count the way the engine's own chart does.
import type { TechniqueResult } from '../../types';

/** Latency CDFs of several techniques on one shared, sorted x column (ms). */
export interface CdfData {
  techniques: string[];
  x: number[];
  /** Per technique, the share of deliveries at or below x (0..1), one per x. */
  shares: number[][];
  /** Per technique, its own smallest and largest latency (null when it has none). */
  extents: ([number, number] | null)[];
}

/**
 * The CDF is a step function, so aligning curves on the union of their x values is exact:
 * between its own points a technique keeps its last share (0 before its first). `floor`
 * lifts latencies below it (a log axis cannot show 0 ms).
 */
export function cdfData(results: TechniqueResult[], floor = 0): CdfData {
  const techniques = results.map((r) => r.technique);
  const curves = results.map((r) => r.latency_cdf.map(([ms, share]) => [Math.max(ms, floor), share] as const));
  const xs = [...new Set(curves.flatMap((c) => c.map(([ms]) => ms)))].sort((a, b) => a - b);
  const shares = curves.map((c) => {
    const out = new Array<number>(xs.length);
    let j = 0;
    let cur = 0;
    for (let i = 0; i < xs.length; i++) {
      while (j < c.length && c[j]![0] <= xs[i]!) cur = c[j++]![1];
      out[i] = cur;
    }
    return out;
  });
  const extents = curves.map((c): [number, number] | null => (c.length ? [c[0]![0], c[c.length - 1]![0]] : null));
  return { techniques, x: xs, shares, extents };
}

/** Requests started in each second of each technique's run. */
export interface RpsData {
  techniques: string[];
  /** Middle of each second: 0.5, 1.5, … */
  x: number[];
  /** Per technique, one count per second; null after its run ended. */
  counts: (number | null)[][];
}

export function rpsData(results: TechniqueResult[]): RpsData {
  const n = Math.max(0, ...results.map((r) => r.requests_per_second.length));
  const x = Array.from({ length: n }, (_, i) => i + 0.5);
  const counts = results.map((r) => x.map((_, i) => r.requests_per_second[i] ?? null));
  return { techniques: results.map((r) => r.technique), x, counts };
}

/** Bytes on the wire per delivered message, split like the engine's chart. */
export interface BytesRow {
  technique: string;
  header: number;
  payload: number;
  /** `bytes_per_message` as Rust computed it (header + payload). */
  total: number;
}

export function bytesRows(results: TechniqueResult[]): BytesRow[] {
  return results.map((r) => {
    const m = r.metrics;
    const per = (v: number) => (m.delivered > 0 ? v / m.delivered : 0);
    return { technique: r.technique, header: per(m.header_bytes), payload: per(m.payload_bytes), total: m.bytes_per_message };
  });
}
