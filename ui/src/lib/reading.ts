import type { TechniqueResult } from '../types';
import { formatBytes, formatMs } from './format';

function pct(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)} %` : '—';
}

/** A few plain sentences about what the numbers of a run say. */
export function readResults(results: readonly TechniqueResult[]): string[] {
  const out: string[] = [];
  if (results.length === 0) return out;
  const known = results.filter((r) => r.expected_deliveries > 0);
  const short = known.filter((r) => r.metrics.delivered < r.expected_deliveries);
  if (known.length > 0 && short.length === 0) {
    out.push(
      known.length === 1
        ? `${known[0]!.technique} delivered every expected message (${known[0]!.expected_deliveries}).`
        : `Every technique delivered every expected message, so the differences below are about cost and speed, not reliability.`,
    );
  }
  for (const r of short) {
    out.push(
      `${r.technique} delivered ${r.metrics.delivered} of ${r.expected_deliveries} expected messages (${pct(r.metrics.delivered, r.expected_deliveries)}); the rest were still in flight or lost when the run ended.`,
    );
  }

  const withLatency = results.filter((r) => r.metrics.delivered > 0);
  if (withLatency.length >= 2) {
    const byP50 = [...withLatency].sort((a, b) => a.metrics.latency_ms.p50 - b.metrics.latency_ms.p50);
    const best = byP50[0]!;
    const worst = byP50[byP50.length - 1]!;
    const ratio = best.metrics.latency_ms.p50 > 0 ? worst.metrics.latency_ms.p50 / best.metrics.latency_ms.p50 : 0;
    let s = `Fastest delivery: ${best.technique}, half of its messages arrived within ${formatMs(best.metrics.latency_ms.p50)} ms. Slowest: ${worst.technique} at ${formatMs(worst.metrics.latency_ms.p50)} ms`;
    if (ratio >= 2) s += ` (about ${Math.round(ratio)}× longer)`;
    s += '.';
    if (worst.technique === 'polling') s += ' A poll only sees a message at its next interval, so polling waits by design.';
    out.push(s);
  } else if (withLatency.length === 1) {
    const r = withLatency[0]!;
    out.push(
      `Half of the messages arrived within ${formatMs(r.metrics.latency_ms.p50)} ms, 99 % within ${formatMs(r.metrics.latency_ms.p99)} ms.`,
    );
  }

  const withBytes = results.filter((r) => r.metrics.bytes_per_message > 0);
  if (withBytes.length >= 2) {
    const byCost = [...withBytes].sort((a, b) => a.metrics.bytes_per_message - b.metrics.bytes_per_message);
    const cheap = byCost[0]!;
    const dear = byCost[byCost.length - 1]!;
    const headerShare = dear.metrics.bytes_on_wire > 0 ? dear.metrics.header_bytes / dear.metrics.bytes_on_wire : 0;
    out.push(
      `Cheapest on the wire: ${cheap.technique}, ${formatBytes(cheap.metrics.bytes_per_message)} per delivered message; ${dear.technique} spent ${formatBytes(dear.metrics.bytes_per_message)}, ${pct(headerShare, 1)} of its bytes being headers and framing rather than your data.`,
    );
  }

  for (const r of results) {
    const m = r.metrics;
    if (m.empty_responses > 0 && m.requests > 0) {
      out.push(
        `${r.technique}: ${m.empty_responses} of ${m.requests} requests (${pct(m.empty_responses, m.requests)}) came back empty — the client asked and there was nothing new.`,
      );
    }
  }

  const persistent = results.filter((r) => r.metrics.requests > 0 && r.metrics.requests <= r.metrics.connections_opened);
  if (persistent.length > 0) {
    out.push(
      `${persistent.map((r) => r.technique).join(' and ')} kept one long-lived connection per client: a single request opens the stream and every message rides on it.`,
    );
  }
  return out;
}
