import { describe, expect, it } from 'vitest';
import type { Limits, WorkloadDto } from '../types';
import { dtoFromForm, expectedCounts, formFromDto, validateWorkload } from './workload';

const limits: Limits = { max_clients: 1000, max_rate: 10000, max_payload: 65536, max_duration_ms: 600000, min_poll_interval_ms: 10 };
const base: WorkloadDto = {
  clients: 5,
  rate: 2,
  payload: 64,
  duration_ms: 5000,
  direction: 'down',
  seed: 1,
  poll_interval_ms: 1000,
  long_poll_timeout_ms: 25000,
};

describe('workload form', () => {
  it('round-trips through the wire shape, keeping fields it does not edit', () => {
    const f = formFromDto(base);
    expect(f.durationS).toBe(5);
    expect(dtoFromForm(f, base)).toEqual(base);
    expect(dtoFromForm({ ...f, durationS: 0.25, direction: 'both' }, base)).toEqual({ ...base, duration_ms: 250, direction: 'both' });
  });

  it('accepts the defaults', () => {
    expect(validateWorkload(formFromDto(base), limits)).toEqual({});
  });

  it('names the field and the allowed range', () => {
    const e = validateWorkload(
      { ...formFromDto(base), clients: 0, rate: 20000, payload: 70000, durationS: 601, seed: -1, pollIntervalMs: 5 },
      limits,
    );
    expect(e.clients).toBe('Clients must be a whole number from 1 to 1000.');
    expect(e.rate).toBe('Rate must be above 0 and at most 10000 messages/s.');
    expect(e.payload).toContain('0 to 65536');
    expect(e.durationS).toBe('Duration must be more than 0 and at most 600 s.');
    expect(e.seed).toContain('Seed');
    expect(e.pollIntervalMs).toContain('from 10 to 600000');
  });

  it('refuses empty and fractional counts', () => {
    const e = validateWorkload({ ...formFromDto(base), clients: null, payload: 1.5, rate: 0 }, limits);
    expect(Object.keys(e).sort()).toEqual(['clients', 'payload', 'rate']);
  });

  it('previews messages and deliveries', () => {
    expect(expectedCounts(formFromDto(base))).toEqual({ messages: 10, deliveries: 50 });
    expect(expectedCounts({ ...formFromDto(base), direction: 'both' })).toEqual({ messages: 10, deliveries: 40 });
  });
});
