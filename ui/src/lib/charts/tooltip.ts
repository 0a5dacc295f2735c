// Where the cursor's tooltip goes: beside the cursor on whichever side it fits.

const GAP = 14;

/** Left edge (px in the frame) of a tooltip `w` wide for a cursor at `x` in a frame `frameW` wide. */
export function tooltipLeft(x: number, w: number, frameW: number): number {
  if (x + GAP + w <= frameW) return x + GAP;
  if (x - GAP - w >= 0) return x - GAP - w;
  return Math.max(0, Math.min(frameW - w, x - w / 2));
}
