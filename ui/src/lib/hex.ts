import type { Preview } from '../types';

const encoder = new TextEncoder();

/** The bytes a preview stands for: its text as UTF-8, or its `hex` field parsed. */
export function previewBytes(p: Preview): Uint8Array {
  if (p.text !== undefined && p.text !== null) return encoder.encode(p.text);
  if (p.hex) return parseHex(p.hex);
  return new Uint8Array(0);
}

/** "ff 00 81" (any whitespace, or none) → bytes; stops at the first pair that is not hex. */
export function parseHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out: number[] = [];
  for (let i = 0; i + 1 < clean.length; i += 2) {
    const b = Number.parseInt(clean.slice(i, i + 2), 16);
    if (Number.isNaN(b)) break;
    out.push(b);
  }
  return Uint8Array.from(out);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** A classic hex dump: offset, 16 bytes in two groups of eight, printable ASCII. */
export function hexDump(bytes: Uint8Array, width = 16): string[] {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += width) {
    const row = bytes.subarray(off, Math.min(bytes.length, off + width));
    let hex = '';
    let ascii = '';
    for (let i = 0; i < width; i++) {
      if (i === width / 2) hex += ' ';
      const b = row[i];
      if (b === undefined) {
        hex += '   ';
      } else {
        hex += hex2(b) + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      }
    }
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`);
  }
  return lines;
}

/** Pretty JSON when `text` parses as a JSON object or array, else null. */
export function prettyJson(text: string): string | null {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return null;
  }
}
