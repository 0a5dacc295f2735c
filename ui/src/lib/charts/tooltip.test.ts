import { describe, expect, it } from 'vitest';
import { tooltipLeft } from './tooltip';

describe('tooltip placement', () => {
  it('goes right of the cursor, left of it near the right edge, inside the frame when neither fits', () => {
    expect(tooltipLeft(100, 150, 400)).toBe(114);
    expect(tooltipLeft(300, 150, 400)).toBe(136);
    expect(tooltipLeft(150, 250, 300)).toBe(25);
    expect(tooltipLeft(10, 350, 300)).toBe(0);
  });
});
