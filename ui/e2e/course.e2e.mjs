// Course end-to-end: complete the polling lesson the way a learner does — predict, run the
// experiment, compare, pass the challenge — and find the progress still there after a
// reload. Then ask the wizard about a chat app and test its answer live.
import fs from 'node:fs';
import path from 'node:path';
import { browserE2E, check, screenshots } from './lib.mjs';

/** The verdict says what its outcome is: backed, a tie (and what decides instead), or not. */
async function checkVerdict(page) {
  const v = page.getByTestId('wiz-verdict');
  const outcome = await v.getAttribute('data-outcome');
  const text = (await v.textContent()) ?? '';
  const says = { backs: /backs the recommendation/, tie: /what decides instead/, disagrees: /does not back/, no_data: /nothing to/ };
  check(outcome in says && says[outcome].test(text), `the verdict (${outcome}) reads as one: ${text}`);
}

await browserE2E('course', async (page, serve) => {
  await page.getByTestId('tab-course').click();
  await page.getByTestId('lesson-polling').click();
  check((await page.getByTestId('lesson-done-polling').getAttribute('data-done')) === 'false', 'the lesson starts not done');
  await page.getByTestId('lesson-body').getByRole('heading').first().waitFor();
  await page.screenshot({ path: path.join(screenshots, 'lesson.png') });

  // Predict first…
  await page.getByTestId('predict-input-empty-share').fill('0.7');
  await page.getByTestId('predict-lock-empty-share').click();
  await page.getByTestId('predict-input-poll-delay').fill('125');
  await page.getByTestId('predict-lock-poll-delay').click();
  // …then run the experiment and compare.
  await page.getByTestId('run-experiment-empty-answers').click();
  await page.getByTestId('experiment-results-empty-answers').waitFor({ timeout: 60_000 });
  for (const id of ['empty-share', 'poll-delay']) {
    await page.getByTestId(`predict-check-${id}`).click();
    await page.getByTestId(`prediction-result-${id}`).waitFor();
  }
  const text = await page.getByTestId('prediction-result-empty-share').textContent();
  check(/the lab measured/.test(text ?? ''), `the prediction is shown beside the measurement: ${text}`);
  // Beside each result, the measured value as a chart with the guess marked on it.
  for (const id of ['empty-share', 'poll-delay']) await page.getByTestId(`prediction-chart-${id}`).locator('canvas').waitFor();
  const said = await page.getByTestId('prediction-chart-empty-share').getByTestId('legend-guess').textContent();
  check(/your guess\s*0\.7/.test(said ?? ''), `the guess is in the chart's legend: ${said}`);
  await page.getByTestId('prediction-result-empty-share').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'prediction.png') });

  // The challenge, with its documented solution.
  await page.getByTestId('challenge-tune-the-interval-poll_interval_ms').fill('500');
  await page.getByTestId('challenge-run-tune-the-interval').click();
  const result = page.getByTestId('challenge-result-tune-the-interval');
  await result.waitFor({ timeout: 60_000 });
  check((await result.getAttribute('data-passed')) === 'true', `the challenge passes: ${await result.textContent()}`);
  await result.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'challenge.png') });
  await page.getByTestId('lesson-complete').waitFor();

  // Progress survives a reload.
  await page.reload();
  await page.getByTestId('tab-course').click();
  await page.getByTestId('lesson-done-polling').waitFor();
  check((await page.getByTestId('lesson-done-polling').getAttribute('data-done')) === 'true', 'the lesson is still done after a reload');

  // The wizard: a chat app.
  await page.getByTestId('tab-wizard').click();
  await page.getByTestId('wiz-direction').selectOption('both');
  await page.getByTestId('wiz-clients').fill('10');
  await page.getByTestId('wiz-rate').fill('0.5');
  await page.getByTestId('wiz-delay').fill('200');
  await page.getByTestId('wiz-ask').click();
  check((await page.getByTestId('wiz-technique').textContent()) === 'websocket', 'a chat gets WebSocket');
  await page.getByTestId('wiz-test').click();
  await page.getByTestId('wiz-verdict').waitFor({ timeout: 90_000 });
  await page.screenshot({ path: path.join(screenshots, 'wizard.png'), fullPage: false });
  await checkVerdict(page);

  // A call between two people: the WebRTC answer, tested live against a WebSocket relay.
  await page.getByTestId('wiz-direction').selectOption('peer_to_peer');
  await page.getByTestId('wiz-clients').fill('2');
  await page.getByTestId('wiz-rate').fill('30');
  await page.getByTestId('wiz-delay').fill('50');
  await page.getByTestId('wiz-ask').click();
  // The previous answer is still shown until the new one arrives.
  await page.waitForFunction(() => document.querySelector('[data-testid="wiz-technique"]')?.textContent === 'webrtc', null, { timeout: 10_000 });
  await page.getByTestId('wiz-test').click();
  await page.getByTestId('wiz-verdict').waitFor({ timeout: 90_000 });
  await checkVerdict(page);
  check((await page.getByTestId('wiz-verdict').getAttribute('data-outcome')) === 'backs', 'with the server 40 ms away and a 50 ms budget, only the direct path meets it');
  await page.getByTestId('wiz-webrtc-table').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'wizard-webrtc.png'), fullPage: false });

  // An email check: one update per 1,000 s. The test runs time-scaled and says so.
  await page.getByTestId('wiz-direction').selectOption('down');
  await page.getByTestId('wiz-clients').fill('3');
  await page.getByTestId('wiz-rate').fill('0.001');
  await page.getByTestId('wiz-delay').fill('60000');
  await page.getByTestId('wiz-ask').click();
  const changes = (await page.getByTestId('wiz-changes').textContent()) ?? '';
  check(/faster/.test(changes), `the wizard says how it changed the workload: ${changes}`);
  await page.getByTestId('wiz-test').click();
  await page.getByTestId('wiz-verdict').waitFor({ timeout: 90_000 });
  await checkVerdict(page);
  await page.getByTestId('wiz-verdict').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'wizard-verdict.png'), fullPage: false });

  // Lesson 3's predictions, run in the "wrong" order: each is scored against its own run,
  // and each experiment keeps its own result table.
  await page.getByTestId('tab-course').click();
  await page.getByTestId('lesson-long-polling').click();
  await page.getByTestId('predict-who-is-faster').locator('input[type=radio]').nth(1).check();
  await page.getByTestId('predict-lock-who-is-faster').click();
  await page.getByTestId('predict-busy-bytes').locator('input[type=radio]').nth(0).check();
  await page.getByTestId('predict-lock-busy-bytes').click();
  await page.getByTestId('run-experiment-busy-feed').click();
  await page.getByTestId('experiment-results-busy-feed').waitFor({ timeout: 60_000 });
  await page.getByTestId('run-experiment-hold-the-request').click({ timeout: 60_000 });
  await page.getByTestId('experiment-results-hold-the-request').waitFor({ timeout: 60_000 });
  check(await page.getByTestId('experiment-results-busy-feed').isVisible(), 'the first experiment keeps its result after the second runs');
  for (const id of ['who-is-faster', 'busy-bytes']) {
    await page.getByTestId(`predict-check-${id}`).click({ timeout: 30_000 });
    const r = page.getByTestId(`prediction-result-${id}`);
    await r.waitFor();
    check((await r.getAttribute('data-correct')) === 'true', `${id} is scored against its own run: ${await r.textContent()}`);
  }
  await page.getByTestId('prediction-result-busy-bytes').scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'prediction-own-run.png') });

  // Lesson 4: the connections are cut mid-stream and every client resumes with
  // Last-Event-ID; the table shows the figures the lesson points at, with the
  // header/payload split of the bytes.
  await page.getByTestId('tab-course').click();
  await page.getByTestId('lesson-server-sent-events').click();
  await page.getByTestId('predict-input-resumed-requests').fill('3');
  await page.getByTestId('predict-lock-resumed-requests').click();
  await page.getByTestId('predict-input-nothing-lost').fill('60');
  await page.getByTestId('predict-lock-nothing-lost').click();
  await page.getByTestId('run-experiment-cut-and-resume').click();
  const cutTable = page.getByTestId('experiment-results-cut-and-resume');
  await cutTable.waitFor({ timeout: 60_000 });
  const headings = await cutTable.locator('th').allTextContents();
  const resumedAt = headings.indexOf('resumed with Last-Event-ID');
  check(resumedAt > 0, `the table has the resumed-requests column: ${headings.join(' | ')}`);
  const resumed = await cutTable.locator('tbody tr').first().locator('td').nth(resumedAt).textContent();
  check(resumed === '3', `each of the three clients resumed once, got ${resumed}`);
  check((await cutTable.getByTestId('wire-share').count()) === 1, 'the row draws its header/payload split');
  for (const [id, right] of [['resumed-requests', 'true'], ['nothing-lost', 'false']]) {
    await page.getByTestId(`predict-check-${id}`).click({ timeout: 30_000 });
    const r = page.getByTestId(`prediction-result-${id}`);
    await r.waitFor();
    check((await r.getAttribute('data-correct')) === right, `${id}: scored ${right === 'true' ? 'right' : 'wrong'}: ${await r.textContent()}`);
  }
  await cutTable.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(screenshots, 'lesson-result.png') });

  // The streamed AI answer: one request, a word per event, then [DONE].
  await page.getByTestId('predict-input-answer-requests').fill('1');
  await page.getByTestId('predict-lock-answer-requests').click();
  await page.getByTestId('run-experiment-ai-answer').click({ timeout: 60_000 });
  const answerTable = page.getByTestId('experiment-results-ai-answer');
  await answerTable.waitFor({ timeout: 60_000 });
  await page.getByTestId('predict-check-answer-requests').click({ timeout: 30_000 });
  const answer = page.getByTestId('prediction-result-answer-requests');
  await answer.waitFor();
  check((await answer.getAttribute('data-correct')) === 'true', `one request for the whole answer: ${await answer.textContent()}`);
  check(await cutTable.isVisible(), 'the cut experiment keeps its table after the answer runs');

  // A progress file the lab cannot read is reported, left alone, and kept aside only when
  // the learner says so.
  const progressFile = path.join(serve.dataDir, 'progress.json');
  const garbage = '{"completed": ["polling", ';
  fs.writeFileSync(progressFile, garbage);
  await page.reload();
  await page.getByTestId('tab-course').click();
  const banner = page.getByTestId('progress-problem');
  await banner.waitFor();
  check(/progress\.json/.test((await banner.textContent()) ?? ''), 'the banner names the broken file');
  check(fs.readFileSync(progressFile, 'utf8') === garbage, 'the broken file is left untouched');
  await page.screenshot({ path: path.join(screenshots, 'progress-problem.png') });
  await page.getByTestId('progress-start-fresh').click();
  await banner.waitFor({ state: 'detached' });
  const aside = fs.readdirSync(serve.dataDir).filter((f) => f.startsWith('progress.json.unreadable-'));
  check(aside.length === 1 && fs.readFileSync(path.join(serve.dataDir, aside[0]), 'utf8') === garbage, `the broken file is kept aside (${aside})`);
}, { width: 1280, height: 800 });
