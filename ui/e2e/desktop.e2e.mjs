// Desktop end-to-end: the real Tauri window (under Xvfb when there is no display), driven
// through WebKitWebDriver. Finds the course's lessons, runs one WebSocket experiment through
// the app's own commands and channel, finds its events in the UI, and writes screenshots.
//
// RTCLAB_DESKTOP_BIN picks the binary (default: this checkout's build) and RTCLAB_E2E_CWD the
// folder it starts in: the packaging test runs the installed binary from outside the checkout.
import { spawn, execFileSync } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { bin, check, freePort, screenshots, until, WebDriver } from './lib.mjs';

const port = await freePort();
const binary = process.env.RTCLAB_DESKTOP_BIN ?? bin('rtc-lab-desktop');
const shots = process.env.RTCLAB_SCREENSHOTS ?? screenshots;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtc-lab-desktop-data-'));
const driver = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], {
  cwd: process.env.RTCLAB_E2E_CWD ?? process.cwd(),
  // Without this variable the webview refuses automation and session creation hangs.
  // Progress goes to a fresh folder, never the user's own.
  // BROWSER: what xdg-open runs for "open in my browser" outside a desktop session; `true`
  // opens nothing, and the test reads the page itself.
  env: { ...process.env, TAURI_WEBVIEW_AUTOMATION: 'true', RTCLAB_DATA_DIR: dataDir, BROWSER: 'true' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const wd = new WebDriver(`http://127.0.0.1:${port}`);
let failed = false;
try {
  await until(async () => fetch(`http://127.0.0.1:${port}/status`).then((r) => r.ok, () => false), 15_000, 'WebKitWebDriver');
  await wd.newSession({
    browserName: 'wry',
    'webkitgtk:browserOptions': { binary, args: [] },
  });
  const title = await wd.title();
  check(title === 'RTC Lab', `the page title, got ${title}`);
  // The UI is inside Tauri: the door uses invoke, not HTTP.
  check(await wd.exec('return "__TAURI_INTERNALS__" in window'), 'the page runs inside Tauri');
  await until(() => wd.exec('return !!document.querySelector("[data-testid=technique-websocket]")'), 15_000, 'the experiment panel');

  // The course is there, wherever the app was started from.
  await wd.click(await wd.find('[data-testid=tab-course]'));
  await until(() => wd.exec('return document.querySelectorAll("[data-testid^=lesson-done-]").length >= 12'), 15_000, 'the course\'s lessons');
  const lessons = await wd.exec('return document.querySelectorAll("[data-testid^=lesson-done-]").length');
  check(lessons >= 12, `the course lists its lessons (${lessons})`);
  await wd.click(await wd.find('[data-testid=tab-timeline]'));
  await until(() => wd.exec('return !!document.querySelector("[data-testid=technique-websocket]")'), 15_000, 'the experiment panel again');

  // One WebSocket experiment, set up through the form.
  await wd.exec(`
    const set = (id, v) => { const el = document.querySelector('[data-testid=' + id + ']'); el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); };
    const box = (id, on) => { const el = document.querySelector('[data-testid=' + id + ']'); if (el.checked !== on) el.click(); };
    box('technique-polling', false); box('technique-websocket', true);
    set('field-clients', '2'); set('field-rate', '5'); set('field-durationS', '1');`);
  await wd.click(await wd.find('[data-testid=run]'));
  await until(() => wd.exec('return document.querySelector("[data-testid=run-status]")?.dataset.state === "finished"'), 60_000, 'the run to finish');
  const count = await wd.exec('return window.__rtclab.eventCount()');
  check(count > 20, `events streamed into the window (${count})`);
  // The list draws on the next frame after the run's last events arrive.
  await until(() => wd.exec('return document.querySelectorAll("[data-testid=event-row]").length > 0'), 10_000, 'the event list to show rows');
  const kinds = await wd.exec('return [...new Set([...document.querySelectorAll("[data-testid=event-row]")].map(r => r.dataset.kind))]');
  check(kinds.length > 0, 'the event list shows rows');
  // Select a frame and read it in the inspector.
  await wd.exec(`const s = document.querySelector('[data-testid=filter-kind]'); s.value = 'ws_frame'; s.dispatchEvent(new Event('change', { bubbles: true }));`);
  await until(() => wd.exec('return !!document.querySelector("[data-testid=event-row][data-kind=ws_frame]")'), 10_000, 'a WebSocket frame row');
  await wd.exec('document.querySelector("[data-testid=event-row][data-kind=ws_frame]").click()');
  const opcode = await wd.text(await wd.find('[data-testid=inspector-opcode]'));
  check(/^\d+ \(/.test(opcode), `the inspector shows the opcode, got ${opcode}`);
  await wd.exec(`const s = document.querySelector('[data-testid=filter-kind]'); s.value = ''; s.dispatchEvent(new Event('change', { bubbles: true }));`);

  fs.writeFileSync(path.join(shots, 'desktop-webview.png'), Buffer.from(await wd.screenshot(), 'base64'));

  // The NAT lab in the desktop window: the peers run in Rust, the webview only draws them.
  await wd.click(await wd.find('[data-testid=tab-nat]'));
  await until(() => wd.exec('return !!document.querySelector("[data-testid=nat-run]")'), 15_000, 'the NAT lab');
  await wd.exec(`const s = document.querySelector('[data-testid=nat-a]'); s.value = 'symmetric'; s.dispatchEvent(new Event('change', { bubbles: true }));`);
  await wd.exec(`const s = document.querySelector('[data-testid=nat-b]'); s.value = 'full-cone'; s.dispatchEvent(new Event('change', { bubbles: true }));`);
  await wd.click(await wd.find('[data-testid=nat-run]'));
  await until(() => wd.exec('return document.querySelector("[data-testid=nat-why]")?.dataset.outcome'), 60_000, 'the NAT-lab run');
  const outcome = await wd.exec('return document.querySelector("[data-testid=nat-why]").dataset.outcome');
  check(outcome === 'prflx', `symmetric × full-cone connects on a peer-reflexive address in the desktop app (got ${outcome})`);
  fs.writeFileSync(path.join(shots, 'desktop-natlab.png'), Buffer.from(await wd.screenshot(), 'base64'));

  // WebKitGTK ships without WebRTC: the desktop window says so and where the browser peer works.
  await wd.click(await wd.find('[data-testid=tab-practice]'));
  await until(() => wd.exec('return !!document.querySelector("[data-testid=practice-run]")'), 15_000, 'the WebRTC-vs-WS tab');
  const webrtcHere = await wd.exec('return typeof RTCPeerConnection !== "undefined"');
  const unavailable = await wd.exec('return !!document.querySelector("[data-testid=browser-peer-unavailable]")');
  check(unavailable === !webrtcHere, `the desktop window tells whether it can be a WebRTC peer (RTCPeerConnection ${webrtcHere ? 'present' : 'absent'})`);
  if (unavailable) {
    // It offers the same page in the user's browser: the app serves its own lab there.
    await wd.click(await wd.find('[data-testid=browser-peer-open-browser]'));
    await until(() => wd.exec('return !!document.querySelector("[data-testid=browser-peer-url] code")'), 15_000, 'the page\'s address');
    const url = new URL(await wd.exec('return document.querySelector("[data-testid=browser-peer-url] code").textContent'));
    const page = await fetch(url);
    check(page.ok && /RTC Lab/.test(await page.text()), `the browser page is served at ${url.origin}`);
    const course = await fetch(new URL('/api/course', url), { method: 'POST', headers: { authorization: `Bearer ${url.searchParams.get('token')}` } });
    const lessons = course.ok ? (await course.json()).lessons.length : 0;
    check(lessons >= 20, `the browser page reaches the same lab (${lessons} lessons)`);
    await wd.exec('document.querySelector("[data-testid=browser-peer-url]").scrollIntoView()');
    fs.writeFileSync(path.join(shots, 'desktop-open-in-browser.png'), Buffer.from(await wd.screenshot(), 'base64'));
  }
  // A media call in the desktop window: the call runs in Rust; the window draws it.
  await wd.click(await wd.find('[data-testid=tab-call]'));
  await until(() => wd.exec('return !!document.querySelector("[data-testid=call-run]")'), 15_000, 'the Calls tab');
  await wd.click(await wd.find('[data-testid=call-mesh]'));
  await wd.click(await wd.find('[data-testid=call-run]'));
  await until(() => wd.exec('return document.querySelector("[data-testid=call-result]")?.dataset.topology'), 60_000, 'the call');
  const ups = await wd.exec('return [...document.querySelectorAll("[data-testid=call-participant]")].map((r) => Number(r.dataset.uplink))');
  const stream = await wd.exec('return Number(document.querySelector("[data-testid=call-result]").dataset.stream)');
  check(ups.length === 3 && ups.every((u) => u > 1.6 * stream && u < 2.4 * stream), `a 3-person mesh sends two streams from each uplink in the desktop app (${ups.map(Math.round)} kbit/s, one stream ${Math.round(stream)})`);
  fs.writeFileSync(path.join(shots, 'desktop-call.png'), Buffer.from(await wd.screenshot(), 'base64'));
  if (process.env.DISPLAY) {
    try {
      execFileSync('import', ['-window', 'root', path.join(shots, 'desktop-window.png')]);
    } catch (e) {
      console.warn(`no whole-screen screenshot: ${e.message}`);
    }
  }
  console.log(`desktop e2e: ok (${count} events)`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await wd.quit();
  driver.kill();
}
process.exit(failed ? 1 : 0);
