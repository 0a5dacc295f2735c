// Technique colours for the charts. The values live in app.css (per theme, the same hues as
// the engine's exported SVGs); this module only names them and fades them.

const KNOWN = new Set(['polling', 'long-polling', 'sse', 'websocket']);

/** The CSS custom property holding a technique's colour (imported traces may hold others). */
export function techniqueVar(technique: string): string {
  return KNOWN.has(technique) ? `--tech-${technique}` : '--tech-other';
}

/** `#rgb`, `#rrggbb` or `rgb(r, g, b)` as [r, g, b]; null for anything else. */
export function parseColour(colour: string): [number, number, number] | null {
  const c = colour.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (hex) {
    const h = hex[1]!.length === 3 ? [...hex[1]!].map((d) => d + d).join('') : hex[1]!;
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
  }
  const m = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(c);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

/**
 * `share` of `colour` and the rest of `toward` (the background): a faded colour that reads
 * as fainter on a light and on a dark background alike. Unparseable input comes back as is.
 */
export function mix(colour: string, toward: string, share: number): string {
  const a = parseColour(colour);
  const b = parseColour(toward);
  if (!a || !b) return colour;
  return `rgb(${a.map((v, i) => Math.round(v * share + b[i]! * (1 - share))).join(', ')})`;
}
