// NAT lab end-to-end, the way a learner uses it: pick two NATs, predict, run, read why, then
// walk the tables (candidates, pairs, NATs, SDP, events). A second run, live and slowed down,
// adds TURN: the tables fill in while it runs, the pace changes mid-run, the pair the first
// one could not make is now relayed, and its signalling frames are on the main timeline.
import path from 'node:path';
import { browserE2E, check, screenshots } from './lib.mjs';

await browserE2E('natlab', async (page) => {
  await page.getByTestId('tab-nat').click();
  await page.getByTestId('nat-a').selectOption('symmetric');
  await page.getByTestId('nat-b').selectOption('port-restricted');
  // The learner thinks they will connect directly; they will not.
  await page.getByTestId('nat-guess-direct').check();
  await page.getByTestId('nat-pace').selectOption('instant');
  await page.getByTestId('nat-run').click();
  const why = page.getByTestId('nat-why');
  await why.waitFor({ timeout: 60_000 });
  check((await why.getAttribute('data-outcome')) === 'failed', 'symmetric × port-restricted without TURN fails');
  const verdict = page.getByTestId('nat-prediction');
  check((await verdict.getAttribute('data-right')) === 'false', `the wrong prediction is called wrong: ${await verdict.textContent()}`);
  const reasons = (await page.getByTestId('nat-why-detail').textContent()) ?? '';
  check(/filtered \(apdf\)/.test(reasons) && /add TURN/.test(reasons), `the why names the rule and the fix: ${reasons}`);
  await page.screenshot({ path: path.join(screenshots, 'nat-why.png') });

  await page.getByTestId('nat-tab-sequence').click();
  const fates = await page.getByTestId('nat-flight').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-fate')));
  check(fates.length > 20 && fates.includes('dropped') && fates.includes('delivered'), `the sequence diagram draws delivered and dropped datagrams (${fates.length})`);
  await page.screenshot({ path: path.join(screenshots, 'nat-sequence.png') });

  await page.getByTestId('nat-tab-candidates').click();
  const candidates = await page.getByTestId('nat-candidates-A').getByTestId('nat-candidate-row').count();
  check(candidates >= 3, `A's candidate table fills in (${candidates} rows)`);
  check(/srflx/.test((await page.getByTestId('nat-candidates-A').textContent()) ?? ''), 'the table has a server-reflexive candidate');
  await page.screenshot({ path: path.join(screenshots, 'nat-candidates.png') });

  await page.getByTestId('nat-tab-pairs').click();
  const states = await page.getByTestId('nat-pairs-B').getByTestId('nat-pair-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
  check(states.length > 0 && states.every((s) => s !== 'succeeded'), `no pair of B succeeded: ${states}`);
  // Scrubbing back in time empties the table: it evolves with the run.
  await page.getByTestId('nat-scrub').fill('0');
  check((await page.getByTestId('nat-pairs-B').getByTestId('nat-pair-row').count()) === 0, 'at 0 ms no check was sent yet');
  await page.getByTestId('nat-scrub').fill('100000');
  await page.getByTestId('nat-tab-nats').click();
  const drops = (await page.getByTestId('nat-drops').first().textContent()) ?? '';
  check(/filtered/.test(drops), 'the NAT view lists dropped datagrams with their rule');
  await page.screenshot({ path: path.join(screenshots, 'nat-tables.png') });

  await page.getByTestId('nat-tab-sdp').click();
  await page.getByTestId('nat-sdp-line').filter({ hasText: 'a=ice-ufrag' }).first().hover();
  check(/username fragment/.test((await page.getByTestId('nat-sdp-meaning').textContent()) ?? ''), 'hovering an SDP line explains it');
  await page.screenshot({ path: path.join(screenshots, 'nat-sdp.png') });

  // Edit the SDP before it is sent: flip the answer's DTLS role on an open network. ICE still
  // works; DTLS does not, and the why says so and where.
  await page.getByTestId('nat-a').selectOption('none');
  await page.getByTestId('nat-b').selectOption('none');
  await page.locator('details:has([data-testid="nat-sdp-edit"]) summary').click();
  await page.getByTestId('nat-sdp-edit').selectOption('flip-setup');
  await page.getByTestId('nat-tab-why').click();
  await page.getByTestId('nat-run').click();
  // The previous run also failed: wait for this run's explanation.
  await page.getByTestId('nat-why').filter({ hasText: 'DTLS failed' }).waitFor({ timeout: 60_000 });
  const edited = (await page.getByTestId('nat-why-detail').textContent()) ?? '';
  check(/flipped the answer's a=setup/.test(edited) && /alert/.test(edited), `the why blames the flipped role: ${edited}`);
  await page.screenshot({ path: path.join(screenshots, 'nat-sdp-edit.png') });
  // The same open network with trickle ICE and without: the offer waits for gathering.
  await page.getByTestId('nat-sdp-edit').selectOption({ label: 'no edit' });
  await page.getByTestId('nat-run-trickle').click();
  await page.getByTestId('nat-trickle').waitFor({ timeout: 30_000 });
  const runs = await page.getByTestId('nat-trickle-run').evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-trickle'), Number(r.getAttribute('data-open'))]));
  check(runs.length === 2 && runs.every(([, open]) => open > 0), `both runs opened the channel (${JSON.stringify(runs)})`);
  check(/waited until gathering ended/.test((await page.getByTestId('nat-trickle-note').textContent()) ?? ''), 'the note explains what non-trickle waits for');
  await page.screenshot({ path: path.join(screenshots, 'nat-trickle.png') });
  await page.getByTestId('nat-a').selectOption('symmetric');
  await page.getByTestId('nat-b').selectOption('port-restricted');

  // Now with TURN, live at a quarter of real speed: the same pair connects through the relay.
  await page.getByTestId('nat-turn').check();
  await page.getByTestId('nat-guess-not').check();
  await page.getByTestId('nat-pace').selectOption('0.25');
  await page.getByTestId('nat-run').click();
  await page.locator('[data-testid="nat-live"][data-state="running"]').waitFor({ timeout: 20_000 });
  await page.getByTestId('nat-tab-candidates').click();
  // While it runs, the candidate table fills in and the clock moves.
  await page.getByTestId('nat-candidates-A').getByTestId('nat-candidate-row').first().waitFor({ timeout: 20_000 });
  const at = async () => Number(((await page.getByTestId('nat-live-at').textContent()) ?? '').split(' ')[0]);
  const at1 = await at();
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=nat-live-at]')?.textContent?.split(' ')[0]) > t, at1, { timeout: 10_000 });
  check((await page.getByTestId('nat-why-headline').count()) === 0, 'no outcome is shown while the run goes on');
  await page.screenshot({ path: path.join(screenshots, 'nat-live.png') });
  // Speed it up to the end.
  await page.getByTestId('nat-live-speed').selectOption('4');
  await page.locator('[data-testid="nat-why"][data-outcome="relay"]').waitFor({ timeout: 60_000 });
  check(Number(((await page.getByTestId('nat-at').textContent()) ?? '').split(' / ')[1]?.split(' ')[0]) > 1000, 'the finished run can be replayed over its whole length');
  check((await page.getByTestId('nat-prediction').getAttribute('data-right')) === 'true', 'predicting "not directly" for a relayed run is right');
  await page.getByTestId('nat-tab-why').click();
  check(/relayed \d+ bytes/.test((await page.getByTestId('nat-why-detail').textContent()) ?? ''), 'the relay cost is stated in bytes');
  await page.getByTestId('nat-tab-pairs').click();
  const selected = await page.getByTestId('nat-pairs-A').locator('tr.selected').textContent();
  check(/relay/.test(selected ?? ''), `A's selected pair is relayed: ${selected}`);
  await page.screenshot({ path: path.join(screenshots, 'nat-pairs.png') });

  // Every table links to the event that changed it.
  await page.getByTestId('nat-pairs-A').locator('tr.selected button.nat-link').click();
  check(/pair/.test((await page.getByTestId('nat-event-detail').textContent()) ?? ''), 'the pair row opens the event that changed it');
  await page.screenshot({ path: path.join(screenshots, 'nat-events.png') });

  // The live run's signalling crossed the lab's WebSocket relay through the tap: its frames are
  // on the main timeline, the offer among them.
  await page.getByTestId('tab-timeline').click();
  await page.getByTestId('filter-kind').selectOption('ws_frame');
  const frameRows = await page.getByTestId('event-row').count();
  check(frameRows >= 6, `the signalling frames are on the timeline (${frameRows})`);
  check(/offer/.test((await page.getByTestId('event-list').textContent()) ?? ''), 'the offer is one of them');
  await page.screenshot({ path: path.join(screenshots, 'nat-signalling-timeline.png') });
  await page.getByTestId('filter-kind').selectOption('');
  await page.getByTestId('tab-compare').click();
  await page.screenshot({ path: path.join(screenshots, 'nat-live-compare-tab.png') });
  await page.getByTestId('tab-nat').click();
  check((await page.getByTestId('nat-why').getAttribute('data-outcome')) === 'relay', 'coming back, the NAT lab still shows the run');

  // A live run stopped half-way has no outcome to explain.
  await page.getByTestId('nat-pace').selectOption('0.1');
  await page.getByTestId('nat-run').click();
  await page.locator('[data-testid="nat-live"][data-state="running"]').waitFor({ timeout: 20_000 });
  await page.getByTestId('nat-live-stop').click();
  await page.locator('[data-testid="nat-live"][data-state="stopped"]').waitFor({ timeout: 20_000 });
  check((await page.getByTestId('nat-why').count()) === 0, 'a stopped run shows no outcome');
  check(/Stopped at \d+ ms/.test((await page.getByTestId('nat-live').textContent()) ?? ''), 'it says where it stopped');
  await page.getByTestId('nat-pace').selectOption('1');
  // The matrix: every preset pair, measured, beside theory; a cell opens its pair.
  await page.getByTestId('nat-run-matrix').click();
  await page.getByTestId('nat-matrix').waitFor({ timeout: 60_000 });
  const cells = await page.getByTestId('nat-matrix-cell').count();
  check(cells === 72, `the matrix has 72 cells (${cells})`);
  check(/72 of 72 runs came out as RFC 4787 theory predicts/.test((await page.getByTestId('nat-matrix').textContent()) ?? ''), 'every cell agrees with theory');
  await page.screenshot({ path: path.join(screenshots, 'nat-matrix.png'), fullPage: true });
  await page.getByTestId('nat-matrix-cell').nth(4).click();
  await page.locator('[data-testid="nat-why"][data-outcome="prflx"]').waitFor({ timeout: 60_000 });
  check((await page.getByTestId('nat-b').inputValue()) === 'symmetric', 'the cell none × symmetric opened in the lab');

  // The TURN lesson, as a learner takes it: predict, run, then the challenge.
  await page.getByTestId('tab-course').click();
  await page.getByTestId('lesson-turn').click();
  await page.getByTestId('nat-block-relay-or-nothing-not').check();
  await page.getByTestId('nat-block-relay-or-nothing-run').click();
  const lessonVerdict = page.getByTestId('nat-block-relay-or-nothing-result').getByTestId('nat-prediction');
  await lessonVerdict.waitFor({ timeout: 60_000 });
  check((await lessonVerdict.getAttribute('data-right')) === 'true', `the lesson scores "not directly" right for symmetric × symmetric: ${await lessonVerdict.textContent()}`);
  await page.getByTestId('nat-block-make-symmetric-connect-run').click();
  const notYet = page.getByTestId('nat-block-make-symmetric-connect-passed');
  await notYet.waitFor({ timeout: 60_000 });
  check((await notYet.getAttribute('data-passed')) === 'false', 'as given, the challenge is not solved');
  await page.getByTestId('nat-block-make-symmetric-connect-turn').check();
  await page.getByTestId('nat-block-make-symmetric-connect-run').click();
  await page.locator('[data-testid="nat-block-make-symmetric-connect-passed"][data-passed="true"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('nat-block-make-symmetric-connect-result').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'nat-lesson.png') });
  await page.getByTestId('lesson-complete').waitFor();
  // The result opens in the NAT lab with the same settings.
  await page.getByTestId('nat-block-make-symmetric-connect-open').click();
  check((await page.getByTestId('nat-a').inputValue()) === 'symmetric' && (await page.getByTestId('nat-turn').isChecked()), 'the NAT lab opens with the challenge\'s settings');
});
