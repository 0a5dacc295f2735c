import { describe, expect, it } from 'vitest';
import { mix, parseColour, techniqueVar } from './colour';

describe('technique colours', () => {
  it('names one CSS variable per technique, a neutral one for others', () => {
    expect(techniqueVar('long-polling')).toBe('--tech-long-polling');
    expect(techniqueVar('websocket')).toBe('--tech-websocket');
    expect(techniqueVar('token-stream')).toBe('--tech-other');
  });

  it('reads the colour notations app.css uses', () => {
    expect(parseColour('#d64541')).toEqual([214, 69, 65]);
    expect(parseColour(' #fff ')).toEqual([255, 255, 255]);
    expect(parseColour('rgb(1, 2, 3)')).toEqual([1, 2, 3]);
    expect(parseColour('tomato')).toBeNull();
  });

  it('fades a colour toward the background, lighter on white and darker on black', () => {
    expect(mix('#d64541', '#ffffff', 0.5)).toBe('rgb(235, 162, 160)');
    expect(mix('#d64541', '#000000', 0.5)).toBe('rgb(107, 35, 33)');
    expect(mix('#d64541', '#ffffff', 1)).toBe('rgb(214, 69, 65)');
    expect(mix('tomato', '#fff', 0.5)).toBe('tomato');
  });
});
