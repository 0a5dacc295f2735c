// Shared helpers of the end-to-end tests: start `rtc-lab serve`, launch Debian's Chromium,
// talk W3C WebDriver to WebKitWebDriver. Every wait is bounded and waits for a condition.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bin = (name) => path.join(repo, 'target', process.env.RTCLAB_PROFILE ?? 'debug', name);
export const screenshots = path.join(repo, 'docs', 'screenshots');
fs.mkdirSync(screenshots, { recursive: true });

export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

/**
 * Runs one browser end-to-end script: `rtc-lab serve`, Debian's Chromium, a page opened at the
 * lab's URL; `body(page, serve)` makes the checks. A console error fails the run too. Prints
 * `<name> e2e: ok` or the error, closes everything and exits with the result.
 */
export async function browserE2E(name, body, viewport = { width: 1360, height: 860 }) {
  const serve = await startServe();
  const browser = await launchChromium();
  let failed = false;
  try {
    const page = await browser.newPage({ viewport });
    const consoleWatch = watchConsole(page);
    await page.goto(serve.url);
    await body(page, serve);
    consoleWatch.assertNone();
    console.log(`${name} e2e: ok`);
  } catch (e) {
    failed = true;
    console.error(e);
  } finally {
    await browser.close();
    serve.stop();
  }
  process.exit(failed ? 1 : 0);
}

/** Starts `rtc-lab serve` on an OS-chosen port; resolves with {url, origin, token, stop}. */
export function startServe(env = {}) {
  // Progress goes to a fresh folder, never the user's own.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtc-lab-data-'));
  return new Promise((resolve, reject) => {
    const child = spawn(bin('rtc-lab'), ['serve'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RTCLAB_DATA_DIR: dataDir, ...env },
    });
    const timer = setTimeout(() => reject(new Error('rtc-lab serve printed no URL within 20 s')), 20000);
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`rtc-lab serve exited early (${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      const url = new URL(line.trim());
      resolve({
        url: url.href,
        origin: url.origin,
        token: url.searchParams.get('token'),
        dataDir,
        stop: () => child.kill('SIGINT'),
      });
    });
  });
}

/** Launches Debian's Chromium headless with playwright-core. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic',
    ],
  });
}

/** Collects console errors and page errors; call `.assertNone()` at the end. */
export function watchConsole(page) {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { errors, assertNone: () => check(errors.length === 0, `console is clean, but saw:\n${errors.join('\n')}`) };
}

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function until(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A free loopback port. */
export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

/** A tiny W3C WebDriver client. */
export class WebDriver {
  constructor(base) { this.base = base; }
  async cmd(method, p, body) {
    const r = await fetch(`${this.base}${p}`, {
      method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
    });
    const j = await r.json();
    if (!r.ok) throw new Error(`WebDriver ${method} ${p}: ${JSON.stringify(j.value)}`);
    return j.value;
  }
  async newSession(capabilities) {
    const v = await this.cmd('POST', '/session', { capabilities: { alwaysMatch: capabilities } });
    this.session = v.sessionId;
    return v;
  }
  s(p) { return `/session/${this.session}${p}`; }
  exec(script, args = []) { return this.cmd('POST', this.s('/execute/sync'), { script, args }); }
  execAsync(script, args = []) { return this.cmd('POST', this.s('/execute/async'), { script, args }); }
  async find(css) { const v = await this.cmd('POST', this.s('/element'), { using: 'css selector', value: css }); return Object.values(v)[0]; }
  click(id) { return this.cmd('POST', this.s(`/element/${id}/click`), {}); }
  text(id) { return this.cmd('GET', this.s(`/element/${id}/text`)); }
  screenshot() { return this.cmd('GET', this.s('/screenshot')); }
  title() { return this.cmd('GET', this.s('/title')); }
  quit() { return this.cmd('DELETE', this.s('')).catch(() => {}); }
}
