import { describe, expect, it } from 'vitest';
import { actionFor, type KeyInput } from './shortcuts';

const k = (key: string, over: Partial<KeyInput> = {}): KeyInput => ({
  key,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  inField: false,
  onCanvas: false,
  ...over,
});

describe('keyboard shortcuts', () => {
  it('maps the documented keys', () => {
    expect(actionFor(k(' '))).toBe('play-pause');
    expect(actionFor(k('ArrowRight'))).toBe('step-forward');
    expect(actionFor(k('ArrowLeft'))).toBe('step-back');
    expect(actionFor(k('+'))).toBe('zoom-in');
    expect(actionFor(k('-'))).toBe('zoom-out');
    expect(actionFor(k('0'))).toBe('fit');
    expect(actionFor(k('f'))).toBe('follow');
    expect(actionFor(k('/'))).toBe('search');
    expect(actionFor(k('?'))).toBe('help');
  });

  it('pans with arrows on the canvas or with Shift', () => {
    expect(actionFor(k('ArrowRight', { onCanvas: true }))).toBe('pan-right');
    expect(actionFor(k('ArrowLeft', { shiftKey: true }))).toBe('pan-left');
  });

  it('leaves typing alone, except Escape', () => {
    expect(actionFor(k('f', { inField: true }))).toBeNull();
    expect(actionFor(k(' ', { inField: true }))).toBeNull();
    expect(actionFor(k('Escape', { inField: true }))).toBe('escape');
    expect(actionFor(k('0', { ctrlKey: true }))).toBeNull();
  });
});
