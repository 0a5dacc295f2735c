import type { Limits, WorkloadDto } from '../types';

/** The workload as the form edits it: durations in the units people think in. */
export interface WorkloadForm {
  clients: number | null;
  /** Messages per second, in total. */
  rate: number | null;
  /** Bytes of message body. */
  payload: number | null;
  durationS: number | null;
  direction: 'down' | 'both';
  seed: number | null;
  pollIntervalMs: number | null;
}

export type WorkloadField = Exclude<keyof WorkloadForm, 'direction'>;

export const FIELD_LABELS: Record<WorkloadField, string> = {
  clients: 'Clients',
  rate: 'Rate',
  payload: 'Payload',
  durationS: 'Duration',
  seed: 'Seed',
  pollIntervalMs: 'Poll interval',
};

export function formFromDto(w: WorkloadDto): WorkloadForm {
  return {
    clients: w.clients,
    rate: w.rate,
    payload: w.payload,
    durationS: w.duration_ms / 1000,
    direction: w.direction === 'both' ? 'both' : 'down',
    seed: w.seed,
    pollIntervalMs: w.poll_interval_ms,
  };
}

export function dtoFromForm(f: WorkloadForm, base: WorkloadDto): WorkloadDto {
  return {
    ...base,
    clients: f.clients ?? base.clients,
    rate: f.rate ?? base.rate,
    payload: f.payload ?? base.payload,
    duration_ms: f.durationS === null ? base.duration_ms : Math.round(f.durationS * 1000),
    direction: f.direction,
    seed: f.seed ?? base.seed,
    poll_interval_ms: f.pollIntervalMs ?? base.poll_interval_ms,
  };
}

function isNum(v: number | null): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** What is wrong with each field, in words naming the field and the allowed range. */
export function validateWorkload(f: WorkloadForm, limits: Limits): Partial<Record<WorkloadField, string>> {
  const errors: Partial<Record<WorkloadField, string>> = {};
  const maxS = limits.max_duration_ms / 1000;
  if (!isNum(f.clients) || !Number.isInteger(f.clients) || f.clients < 1 || f.clients > limits.max_clients) {
    errors.clients = `Clients must be a whole number from 1 to ${limits.max_clients}.`;
  }
  if (!isNum(f.rate) || f.rate <= 0 || f.rate > limits.max_rate) {
    errors.rate = `Rate must be above 0 and at most ${limits.max_rate} messages/s.`;
  }
  if (!isNum(f.payload) || !Number.isInteger(f.payload) || f.payload < 0 || f.payload > limits.max_payload) {
    errors.payload = `Payload must be a whole number of bytes from 0 to ${limits.max_payload}.`;
  }
  if (!isNum(f.durationS) || f.durationS <= 0 || f.durationS > maxS || Math.round(f.durationS * 1000) < 1) {
    errors.durationS = `Duration must be more than 0 and at most ${maxS} s.`;
  }
  if (!isNum(f.seed) || !Number.isInteger(f.seed) || f.seed < 0 || f.seed > Number.MAX_SAFE_INTEGER) {
    errors.seed = `Seed must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}.`;
  }
  if (
    !isNum(f.pollIntervalMs) ||
    !Number.isInteger(f.pollIntervalMs) ||
    f.pollIntervalMs < limits.min_poll_interval_ms ||
    f.pollIntervalMs > limits.max_duration_ms
  ) {
    errors.pollIntervalMs = `Poll interval must be a whole number of milliseconds from ${limits.min_poll_interval_ms} to ${limits.max_duration_ms}.`;
  }
  return errors;
}

/** Messages the publisher will send and deliveries expected, for a preview line. */
export function expectedCounts(f: WorkloadForm): { messages: number; deliveries: number } | null {
  if (!isNum(f.rate) || !isNum(f.durationS) || !isNum(f.clients)) return null;
  const messages = Math.max(1, Math.round(f.rate * f.durationS));
  // With `both`, a client's message goes to every other client.
  const perMessage = f.direction === 'both' ? Math.max(0, f.clients - 1) : f.clients;
  return { messages, deliveries: messages * perMessage };
}
