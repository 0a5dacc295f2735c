/** Delay before reconnect attempt `attempt` (0-based): doubling from `baseMs`, capped at
 * `maxMs`, with ±20 % jitter so many tabs do not knock in step. */
export function backoffDelay(attempt: number, random: () => number = Math.random, baseMs = 500, maxMs = 10_000): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  const jitter = 0.8 + 0.4 * random();
  return Math.round(Math.min(maxMs, raw * jitter));
}
