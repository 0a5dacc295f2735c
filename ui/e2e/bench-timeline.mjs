// Benchmark: draw time of the canvas timeline holding 100,000 real events while panning and
// zooming, in headless Chromium. The trace is produced by a real run of the lab first.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { bin, check, launchChromium, startServe, until } from './lib.mjs';

const tracePath = path.join(os.tmpdir(), `rtc-lab-bench-${process.pid}.jsonl`);
execFileSync(bin('rtc-lab'), ['run', 'websocket', '--clients', '100', '--rate', '50', '--duration', '10s', '--trace', tracePath], { stdio: ['ignore', 'ignore', 'inherit'] });

const pct = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };
const serve = await startServe();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(serve.url);
  await page.getByTestId('import-file').setInputFiles(tracePath);
  const n = await until(async () => { const c = await page.evaluate(() => window.__rtclab.eventCount()); return c >= 100_000 && c; }, 120_000, '100,000 events in the page');
  await page.getByTestId('fit').click();
  const canvas = await page.getByTestId('timeline-canvas').boundingBox();
  const cx = canvas.x + canvas.width / 2;
  const cy = canvas.y + canvas.height / 2;
  const frame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const runs = [];
  for (let run = 0; run < 5; run++) {
    await page.getByTestId('fit').click();
    await frame();
    await page.evaluate(() => window.__rtclab.resetFrameTimes());
    await page.mouse.move(cx, cy);
    // Zoom in step by step, pan across, zoom back out: 120 interactions, each one frame.
    for (let i = 0; i < 40; i++) { await page.mouse.wheel(0, -120); await frame(); }
    await page.mouse.down();
    for (let i = 0; i < 40; i++) { await page.mouse.move(cx - i * 8, cy); await frame(); }
    await page.mouse.up();
    for (let i = 0; i < 40; i++) { await page.mouse.wheel(0, 120); await frame(); }
    const t = await page.evaluate(() => window.__rtclab.frameTimes());
    check(t.length >= 100, `frames were drawn (${t.length})`);
    runs.push({ frames: t.length, p50: pct(t, 50), p95: pct(t, 95), max: Math.max(...t) });
  }
  for (const [i, r] of runs.entries()) console.log(`run ${i + 1}: ${r.frames} frames, draw p50 ${r.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`);
  const med = (k) => pct(runs.map((r) => r[k]), 50);
  console.log(`median over ${runs.length} runs with ${n} events: draw p50 ${med('p50').toFixed(2)} ms, p95 ${med('p95').toFixed(2)} ms (goal p95 ≤ 16 ms)`);
} finally {
  await browser.close();
  serve.stop();
}
