import { describe, expect, it } from 'vitest';
import { hexDump, parseHex, prettyJson, previewBytes } from './hex';

describe('hex', () => {
  it('dumps offset, two groups of eight and ASCII', () => {
    const bytes = new TextEncoder().encode('Hello, WebSocket!\n');
    const lines = hexDump(bytes);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('00000000  48 65 6c 6c 6f 2c 20 57  65 62 53 6f 63 6b 65 74  |Hello, WebSocket|');
    expect(lines[1]!.startsWith('00000010  21 0a ')).toBe(true);
    expect(lines[1]!.endsWith('|!.|')).toBe(true);
    expect(lines[1]!.length).toBe(lines[0]!.length - 14);
  });

  it('encodes preview text as UTF-8', () => {
    expect([...previewBytes({ text: 'é', truncated: false })]).toEqual([0xc3, 0xa9]);
    expect([...previewBytes({ hex: 'ff 00 81', truncated: false })]).toEqual([0xff, 0x00, 0x81]);
    expect(previewBytes({ truncated: false }).length).toBe(0);
  });

  it('parses hex with or without spaces and stops at junk', () => {
    expect([...parseHex('0a0B 0c')]).toEqual([10, 11, 12]);
    expect([...parseHex('01 zz 02')]).toEqual([1]);
  });

  it('pretty-prints JSON objects only', () => {
    expect(prettyJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(prettyJson('42')).toBeNull();
    expect(prettyJson('{nope')).toBeNull();
  });
});
