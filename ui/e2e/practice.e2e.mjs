// WebRTC in practice end-to-end, as a learner uses it: give the places distances, measure the
// three paths, and read the table — the data channel must beat the WebSocket relay here, TURN
// must not, and the setup must show WebRTC's phases.
import path from 'node:path';
import { browserE2E, check, screenshots } from './lib.mjs';

await browserE2E('practice', async (page) => {
  await page.getByTestId('tab-practice').click();
  await page.getByTestId('practice-peers').fill('10');
  await page.getByTestId('practice-server').fill('40');
  await page.getByTestId('practice-messages').fill('20');
  await page.getByTestId('practice-run').click();
  await page.getByTestId('practice-report').waitFor({ timeout: 90_000 });
  const p50 = async (p) => Number(await page.locator(`[data-testid="practice-report"] [data-testid="practice-row"][data-path="${p}"]`).getAttribute('data-p50'));
  const [p2p, turn, ws] = [await p50('p2p'), await p50('turn'), await p50('websocket')];
  check(p2p >= 20 && p2p < ws, `peer to peer (${p2p} ms) beats the WebSocket relay (${ws} ms)`);
  check(turn >= 160 && ws >= 160, `both relayed paths cross the server four times (${turn}, ${ws} ms)`);
  const setup = await page.locator('[data-testid="practice-setup"][data-path="p2p"]').textContent();
  check(/DTLS handshake done/.test(setup ?? '') && /ICE connected/.test(setup ?? ''), 'the data channel\'s setup names its phases');
  const notes = (await page.getByTestId('practice-notes').textContent()) ?? '';
  check(/as long/.test(notes), 'the notes compare the measured paths');
  await page.screenshot({ path: path.join(screenshots, 'practice-table.png'), fullPage: true });

  // A file over a data channel under 2 % loss: intact on the reliable channels, damaged on the
  // one that never retransmits.
  await page.getByTestId('send-file-size').fill('1024');
  await page.getByTestId('send-file-loss').fill('2');
  await page.getByTestId('send-file-run').click();
  await page.getByTestId('send-file-report').waitFor({ timeout: 120_000 });
  const rows = await page.getByTestId('send-file-row').evaluateAll((rs) => rs.map((r) => ({ mode: r.getAttribute('data-mode'), ok: r.getAttribute('data-matches') === 'true', got: Number(r.getAttribute('data-received')), of: Number(r.getAttribute('data-chunks')) })));
  check(rows.length === 3, `one row per delivery mode (${JSON.stringify(rows)})`);
  check(rows.filter((r) => r.mode !== 'unreliable').every((r) => r.ok && r.got === r.of), `the reliable channels deliver the file intact (${JSON.stringify(rows)})`);
  const lossy = rows.find((r) => r.mode === 'unreliable');
  check(lossy && !lossy.ok && lossy.got < lossy.of, `without retransmissions the loss shows (${JSON.stringify(lossy)})`);
  await page.screenshot({ path: path.join(screenshots, 'practice-send-file.png'), fullPage: true });

  // This page as a real peer: Chromium's RTCPeerConnection calls the lab's Rust peer through
  // the signalling relay, chats over the data channel and shows its own getStats pairs.
  await page.getByTestId('browser-peer-start').click();
  await page.getByTestId('browser-peer').waitFor({ timeout: 20_000 });
  const sendButton = page.getByTestId('browser-peer-send');
  await page.waitForFunction(() => !document.querySelector('[data-testid="browser-peer-send"]')?.hasAttribute('disabled'), null, { timeout: 20_000 });
  await page.getByTestId('browser-peer-draft').fill('hello from Chromium');
  await sendButton.click();
  await page.getByTestId('browser-peer-chat').getByText('echo: hello from Chromium').waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="page-pair"][data-state="succeeded"]').first().waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="rust-pair"][data-state="succeeded"]').first().waitFor({ timeout: 10_000 });
  check((await page.getByTestId('browser-peer-rust-state').textContent()) === 'connected', 'the Rust peer is connected');
  await page.screenshot({ path: path.join(screenshots, 'practice-browser-peer.png'), fullPage: true });
  // The browser's offer and candidates crossed the lab's signalling relay: they are on the trace.
  await page.getByTestId('browser-peer-stop').click();
  await page.getByTestId('tab-timeline').click();
  await page.getByTestId('event-row').first().waitFor({ timeout: 10_000 });

  // The course, as a learner takes it: a wrong guess is called wrong, a right one right, each
  // against the block's own run.
  await page.getByTestId('tab-course').click();
  await page.getByTestId('lesson-signalling-and-sdp').click();
  await page.getByTestId('nat-block-no-candidates-not').check();
  await page.getByTestId('nat-block-no-candidates-run').click();
  const sdpVerdict = page.getByTestId('nat-block-no-candidates-result').getByTestId('nat-prediction');
  await sdpVerdict.waitFor({ timeout: 60_000 });
  check((await sdpVerdict.getAttribute('data-right')) === 'false', 'saying an offer without candidates cannot connect is called wrong');
  await page.getByTestId('lesson-websockets-or-webrtc').click();
  const guess = async (id, value) => {
    await page.getByTestId(`webrtc-block-${id}-guess`).fill(String(value));
    await page.getByTestId(`webrtc-block-${id}-run`).click();
    const verdict = page.getByTestId(`webrtc-block-${id}-verdict`);
    await verdict.waitFor({ timeout: 90_000 });
    return (await verdict.getAttribute('data-right')) === 'true';
  };
  check(!(await guess('relay-vs-direct', 1)), '"the relay is as fast as the direct path" is called wrong');
  check(await guess('when-the-server-is-closer', 0.35), 'a relay closer than the peers is measured faster, as predicted');
  await page.getByTestId('webrtc-block-relay-vs-direct-result').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'practice-lesson.png') });
});
