// Browser end-to-end: the UI served by `rtc-lab serve`, driven in Debian's Chromium.
// Runs a WebSocket experiment, finds the 101 handshake and data frames, reads a client
// frame's opcode and mask key in the inspector, follows a delivery's message path (publish →
// frame → delivery), exports HAR and checks its structure, and
// takes the screenshots used in the docs. Compares the four techniques and checks the
// page's own charts: drawn, axis text readable, a readout on hover, legend toggles.
// Fails on any console error or warning.
import fs from 'node:fs';
import path from 'node:path';
import { check, launchChromium, screenshots, startServe, until, watchConsole } from './lib.mjs';
import { checkChart, hoverChart } from './charts.mjs';

const serve = await startServe();
const browser = await launchChromium();
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, colorScheme: 'light' });
  const page = await context.newPage();
  const consoleWatch = watchConsole(page);
  await page.goto(serve.url);
  await page.getByTestId('timeline-empty').waitFor();
  await page.screenshot({ path: path.join(screenshots, 'empty.png') });

  // A small WebSocket experiment.
  await page.getByTestId('technique-polling').uncheck();
  await page.getByTestId('technique-websocket').check();
  await page.getByTestId('field-clients').fill('3');
  await page.getByTestId('field-rate').fill('5');
  await page.getByTestId('field-durationS').fill('2');
  await page.getByTestId('run').click();
  await page.locator('[data-testid=run-status][data-state=finished]').waitFor({ timeout: 30_000 });
  await page.getByTestId('fit').click();
  await page.screenshot({ path: path.join(screenshots, 'timeline.png') });

  // The handshake: a 101 response and its key check.
  await page.getByTestId('filter-kind').selectOption('http_response');
  const first = page.getByTestId('event-row').first();
  await first.click();
  const status = await page.getByTestId('inspector-status').textContent();
  check(status?.includes('101 Switching Protocols'), `a 101 response, got ${status}`);
  await page.getByTestId('filter-kind').selectOption('ws_handshake');
  await page.getByTestId('event-row').first().click();
  check((await page.getByTestId('inspector').textContent())?.includes('base64(SHA-1(key + GUID))'), 'the accept key is valid');

  // Data frames from the server: text, not masked.
  await page.getByTestId('filter-kind').selectOption('ws_frame');
  const frames = await page.getByTestId('event-row').count();
  check(frames > 5, `WebSocket frames listed (${frames})`);
  await page.getByTestId('filter-actor').selectOption('server');
  await page.getByTestId('event-row').first().click();
  check((await page.getByTestId('inspector-opcode').textContent())?.startsWith('1 (text'), 'a server text frame');
  check((await page.getByTestId('inspector-mask').textContent()) === '0', 'server frames are not masked');

  // A frame the client sent: masked, with its masking key.
  await page.getByTestId('filter-actor').selectOption('client:0');
  // The client's frames come last (its close frame): scroll the list to the end.
  await page.getByTestId('event-list').evaluate((el) => { el.scrollTop = el.scrollHeight; el.dispatchEvent(new Event('scroll')); });
  await page.locator('[data-testid=event-row][data-dir=client_to_server]').first().click();
  const opcode = await page.getByTestId('inspector-opcode').textContent();
  const maskKey = await page.getByTestId('inspector-mask-key').textContent();
  check(/^(8|9|10) /.test(opcode ?? ''), `a client control frame (close or pong), got ${opcode}`);
  check(/^[0-9a-f]{2}( [0-9a-f]{2}){3}$/.test(maskKey ?? ''), `a 4-byte masking key, got ${maskKey}`);
  await page.screenshot({ path: path.join(screenshots, 'inspector.png') });
  await page.getByTestId('filter-actor').selectOption('');

  // A delivery's message path: its publish, the server frame that carried it, itself.
  await page.getByTestId('filter-kind').selectOption('message_delivered');
  await page.getByTestId('event-row').first().click();
  const hop = page.getByTestId('inspector-message-path').first();
  const text = async (id) => (await hop.getByTestId(id).textContent()) ?? '';
  check((await text('inspector-path-publish')).includes('published'), 'the path starts at the publish');
  check((await text('inspector-path-carrier')).includes('WS frame'), `carried by a frame, got ${await text('inspector-path-carrier')}`);
  check((await text('inspector-path-delivery')).includes('delivered'), 'the path ends at the delivery');
  await hop.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'message-path.png') });
  await hop.getByTestId('inspector-path-carrier').click();
  check((await page.getByTestId('inspector-opcode').textContent())?.startsWith('1 (text'), 'the carrier is a text frame');
  check((await page.getByTestId('inspector-message-path').count()) >= 1, 'the frame lists the message it carried');
  await page.getByTestId('filter-kind').selectOption('');

  // HAR export: a download whose structure devtools can read.
  await page.getByTestId('export-menu').click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-har').click()]);
  const har = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  check(har.log?.version === '1.2', 'HAR version 1.2');
  check(Array.isArray(har.log.entries) && har.log.entries.length === 3, `one entry per client upgrade (${har.log.entries?.length})`);
  for (const e of har.log.entries) {
    check(e.response.status === 101 && typeof e.startedDateTime === 'string', 'entries are upgrades with a start time');
    check(e._webSocketMessages.some((m) => m.type === 'receive' && m.opcode === 1), 'received text messages in _webSocketMessages');
    check(e._webSocketMessages.some((m) => m.type === 'send'), 'sent frames in _webSocketMessages');
  }

  // Help overlay, dark theme, and the smallest supported window.
  await page.keyboard.press('?');
  await page.getByTestId('help-overlay').waitFor();
  await page.screenshot({ path: path.join(screenshots, 'help.png') });
  await page.keyboard.press('Escape');
  await page.getByTestId('theme').click();
  await page.screenshot({ path: path.join(screenshots, 'timeline-dark.png') });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: path.join(screenshots, 'timeline-1024.png') });

  // The page itself joins an SSE run as one more client, through the tap.
  await page.getByTestId('browser-client').check();
  await page.getByTestId('technique-websocket').uncheck();
  await page.getByTestId('technique-sse').check();
  await page.getByTestId('field-durationS').fill('3');
  const before = Number(await page.getByTestId('run-status').getAttribute('data-run'));
  await page.getByTestId('run').click();
  // The previous run's "finished" must not count: wait for the next run id.
  await page.locator(`[data-testid=run-status][data-state=finished][data-run="${before + 1}"]`).waitFor({ timeout: 30_000 });
  const external = await page.evaluate(() => window.__rtclab.eventCount());
  check(external > 0, 'events of the SSE run');
  await page.getByTestId('filter-actor').selectOption('external');
  await page.getByTestId('filter-kind').selectOption('sse_event');
  const browserEvents = await page.getByTestId('event-row').count();
  check(browserEvents > 0, `the browser's own EventSource stream is on the timeline (${browserEvents} SSE events)`);
  await page.getByTestId('filter-kind').selectOption('');
  await page.getByTestId('filter-actor').selectOption('');
  await page.getByTestId('browser-client').uncheck();

  // All four techniques under one workload, compared in charts the page draws itself.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('theme').click();
  for (const t of ['polling', 'long-polling', 'sse', 'websocket']) await page.getByTestId(`technique-${t}`).check();
  await page.getByTestId('field-durationS').fill('2');
  const compareRun = Number(await page.getByTestId('run-status').getAttribute('data-run')) + 1;
  await page.getByTestId('run').click();
  await page.locator(`[data-testid=run-status][data-state=finished][data-run="${compareRun}"]`).waitFor({ timeout: 60_000 });
  await page.getByTestId('tab-compare').click();
  check((await page.getByTestId('metrics-row').count()) === 4, 'a metrics row per technique');
  for (const name of ['latency-cdf', 'bytes-per-message', 'requests-per-second']) await checkChart(page, name, 4);
  // Legend toggles: hiding polling on the latency chart, then showing it again.
  const pollingToggle = page.getByTestId('plot-latency-cdf').getByTestId('legend-polling');
  await pollingToggle.click();
  check((await pollingToggle.getAttribute('aria-pressed')) === 'false', 'polling hidden from the latency chart');
  await pollingToggle.click();
  check((await pollingToggle.getAttribute('aria-pressed')) === 'true', 'polling shown again');
  await hoverChart(page, 'latency-cdf');
  await page.screenshot({ path: path.join(screenshots, 'compare.png') });
  await page.getByTestId('theme').click();
  await hoverChart(page, 'bytes-per-message');
  await page.screenshot({ path: path.join(screenshots, 'compare-dark.png') });
  await page.getByTestId('theme').click();
  await page.setViewportSize({ width: 1024, height: 768 });
  for (const name of ['latency-cdf', 'requests-per-second']) await checkChart(page, name, 4);
  await hoverChart(page, 'requests-per-second');
  await page.screenshot({ path: path.join(screenshots, 'compare-1024.png') });
  await page.getByTestId('tab-timeline').click();

  // A reload keeps the token and shows the same trace.
  await page.reload();
  await until(async () => (await page.getByTestId('event-row').count()) > 0, 10_000, 'the trace after a reload');

  consoleWatch.assertNone();
  console.log('browser e2e: ok');
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  serve.stop();
}
process.exit(failed ? 1 : 0);
