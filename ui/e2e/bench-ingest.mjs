// Benchmark: live ingest. A real WebSocket run producing about 10,000 trace events per
// second for 30 s streams into the page; at the end the page must hold every event the lab
// recorded (or have been told exactly what it missed), and the page must stay responsive:
// key presses are timed from the browser's event timestamp to the handler.
import { check, launchChromium, startServe, until } from './lib.mjs';

const seconds = Number(process.env.INGEST_SECONDS ?? 30);
const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN; };
const serve = await startServe();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(serve.url);
  await page.getByTestId('live-state').filter({ hasText: 'live' }).waitFor();
  await page.evaluate(() => {
    window.__bench = { input: [], lag: [] };
    window.addEventListener('keydown', (e) => window.__bench.input.push(performance.now() - e.timeStamp), true);
    let last = performance.now();
    setInterval(() => { const now = performance.now(); window.__bench.lag.push(now - last - 100); last = now; }, 100);
  });
  // 200 clients × 25 messages/s: each delivery is a frame on the tap and a delivery event.
  const workload = { clients: 200, rate: 25, payload: 32, duration_ms: seconds * 1000, direction: 'down', seed: 1, poll_interval_ms: 1000, long_poll_timeout_ms: 25000 };
  const res = await page.evaluate(async ([token, workload]) => {
    const r = await fetch('/api/start_run', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ techniques: ['websocket'], workload }) });
    return r.status;
  }, [serve.token, workload]);
  check(res === 200, `run started (${res})`);
  const started = Date.now();
  // Press a key every second during the run ('?' opens and closes the help overlay).
  while (!(await page.locator('[data-testid=run-status][data-state=finished]').count())) {
    if (Date.now() - started > (seconds + 60) * 1000) throw new Error('the run did not finish');
    await page.keyboard.press('?');
    await page.waitForTimeout(500);
  }
  const status = await page.evaluate(async (token) => (await fetch('/api/run_status', { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).json(), serve.token);
  const held = await until(async () => { const c = await page.evaluate(() => window.__rtclab.eventCount()); return c >= status.events && c; }, 30_000, 'every event in the page').catch(() => null);
  const inPage = await page.evaluate(() => window.__rtclab.eventCount());
  const b = await page.evaluate(() => window.__bench);
  const rate = status.events / (seconds + 2);
  console.log(`recorded ${status.events} events (~${Math.round(rate)}/s over the run), page holds ${inPage}, lost ${status.events - inPage}`);
  console.log(`input latency (keydown timestamp → handler): n=${b.input.length} p50 ${pct(b.input, 50).toFixed(1)} ms, p95 ${pct(b.input, 95).toFixed(1)} ms, max ${Math.max(...b.input).toFixed(1)} ms`);
  console.log(`main-thread lag of a 100 ms timer: p50 ${pct(b.lag, 50).toFixed(1)} ms, p95 ${pct(b.lag, 95).toFixed(1)} ms, max ${Math.max(...b.lag).toFixed(1)} ms`);
  check(held !== null, 'no event lost between the engine and the UI');
} finally {
  await browser.close();
  serve.stop();
}
