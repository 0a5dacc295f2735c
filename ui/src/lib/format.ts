/** "1.23 ms", "850 µs", "2.5 s": a duration given in nanoseconds, 3 significant digits. */
export function formatDuration(ns: number): string {
  const abs = Math.abs(ns);
  if (abs < 1_000) return `${trim(ns)} ns`;
  if (abs < 1_000_000) return `${trim(ns / 1_000)} µs`;
  if (abs < 1_000_000_000) return `${trim(ns / 1_000_000)} ms`;
  return `${trim(ns / 1_000_000_000)} s`;
}

function trim(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}

/** A trace time (ns since the lab's clock started) as fixed milliseconds: "1234.567". */
export function formatTimeMs(ns: number): string {
  return (ns / 1e6).toFixed(3);
}

/** Milliseconds with about 3 significant digits, for metric tables. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms === 0) return '0';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  if (Math.abs(n) < 1024) return `${Math.round(n)} B`;
  if (Math.abs(n) < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** At most `n` characters on one line (control characters shown as ␤). */
export function clip(s: string, n: number): string {
  // eslint-disable-next-line no-control-regex
  const one = s.replace(/[\u0000-\u001f\u007f]/g, '␤');
  if ([...one].length <= n) return one;
  return [...one].slice(0, Math.max(0, n - 1)).join('') + '…';
}
