import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';
import { errorHint, httpError, toLabError } from './errors';
import { resolveToken, withoutToken } from './token';

class MemoryStore {
  data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

describe('errors', () => {
  it('keeps the lab error shape and reads JSON text', () => {
    expect(toLabError({ kind: 'conflict', message: 'busy' })).toEqual({ kind: 'conflict', message: 'busy' });
    expect(toLabError('{"kind":"bad_request","message":"clients: 0"}')).toEqual({ kind: 'bad_request', message: 'clients: 0' });
    expect(toLabError(new Error('boom'), 'network')).toEqual({ kind: 'network', message: 'boom' });
    expect(toLabError('plain')).toEqual({ kind: 'internal', message: 'plain' });
  });

  it('turns failed HTTP answers into lab errors', () => {
    expect(httpError(409, 'Conflict', '{"kind":"conflict","message":"a run is going"}')).toEqual({
      kind: 'conflict',
      message: 'a run is going',
    });
    expect(httpError(401, 'Unauthorized', '')).toEqual({ kind: 'unauthorized', message: 'HTTP 401: Unauthorized' });
    expect(httpError(502, 'Bad Gateway', 'upstream down').kind).toBe('internal');
    expect(errorHint({ kind: 'unauthorized', message: '' })).toContain('token');
  });
});

describe('token', () => {
  it('takes the token from the address and remembers it for reloads', () => {
    const s = new MemoryStore();
    expect(resolveToken('?token=abc&x=1', s)).toBe('abc');
    expect(resolveToken('', s)).toBe('abc');
    expect(resolveToken('?token=new', s)).toBe('new');
    expect(resolveToken('', new MemoryStore())).toBeNull();
  });

  it('drops only the token from an address', () => {
    expect(withoutToken('http://127.0.0.1:9/?token=abc&view=compare#x')).toBe('http://127.0.0.1:9/?view=compare#x');
  });
});

describe('reconnect backoff', () => {
  it('doubles up to a ceiling, with bounded jitter', () => {
    const mid = () => 0.5;
    expect(backoffDelay(0, mid)).toBe(500);
    expect(backoffDelay(1, mid)).toBe(1000);
    expect(backoffDelay(3, mid)).toBe(4000);
    expect(backoffDelay(10, mid)).toBe(10000);
    expect(backoffDelay(0, () => 0)).toBe(400);
    expect(backoffDelay(0, () => 1)).toBe(600);
  });
});
