import { describe, expect, it } from 'vitest';
import { usableLocale } from './locale';

describe('locale', () => {
  it('keeps language tags Intl accepts and replaces the others', () => {
    expect(usableLocale('de-DE')).toBe('de-DE');
    expect(usableLocale('C')).toBe('en-US');
    expect(usableLocale('')).toBe('en-US');
    expect(usableLocale(undefined)).toBe('en-US');
    expect(() => new Intl.NumberFormat(usableLocale('C'))).not.toThrow();
  });
});
