// Checks of the page's charts for the end-to-end tests: the canvas is drawn, axis titles and
// tick text are at least 11 px, hovering shows a readout with a number.
import { check } from './lib.mjs';

/**
 * Height in CSS px of one line of the x axis' tick text: the tallest run of rows with ink in
 * the chart's canvas between the plot area's bottom (past the 4 px ticks) and the canvas'
 * bottom edge (labels on two lines make two runs).
 */
function tickInkHeight(root) {
  const canvas = root.querySelector('canvas');
  const over = root.querySelector('.u-over');
  const cr = canvas.getBoundingClientRect();
  const or = over.getBoundingClientRect();
  const scale = canvas.width / cr.width;
  const x0 = Math.floor((or.left - cr.left) * scale);
  const x1 = Math.ceil((or.right - cr.left) * scale);
  const y0 = Math.ceil((or.bottom - cr.top + 6) * scale);
  const img = canvas.getContext('2d').getImageData(x0, y0, x1 - x0, canvas.height - y0);
  let run = 0;
  let tallest = 0;
  for (let y = 0; y < img.height; y++) {
    let ink = false;
    for (let x = 0; x < img.width && !ink; x++) ink = img.data[(y * img.width + x) * 4 + 3] > 100;
    run = ink ? run + 1 : 0;
    tallest = Math.max(tallest, run);
  }
  return tallest / scale;
}

/** Moves the mouse into the middle of a chart's plot area and returns the readout's text. */
export async function hoverChart(page, name) {
  const plot = page.getByTestId(`plot-${name}`);
  const over = plot.locator('.u-over');
  // The whole card in view (for the screenshots), not only the plot area.
  await page.getByTestId(`chart-${name}`).evaluate((el) => el.scrollIntoView({ block: 'nearest' }));
  const box = await over.boundingBox();
  await page.mouse.move(box.x + 4, box.y + 4);
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5, { steps: 4 });
  const readout = plot.getByTestId('chart-readout');
  await readout.waitFor({ timeout: 5_000 });
  return (await readout.textContent()) ?? '';
}

export async function checkChart(page, name, techniques) {
  const plot = page.getByTestId(`plot-${name}`);
  await plot.locator('canvas').waitFor();
  check((await plot.locator('[data-testid^=legend-]').count()) === techniques, `${name}: a legend entry per technique`);
  const titles = await plot.getByTestId('axis-title').evaluateAll((els) => els.map((e) => [e.textContent, parseFloat(getComputedStyle(e).fontSize)]));
  check(titles.length === 2, `${name}: two axis titles (${JSON.stringify(titles)})`);
  check(titles.every(([, px]) => px >= 11), `${name}: axis titles at 11 px or more (${JSON.stringify(titles)})`);
  check(titles.some(([t]) => /\((ms|%|B|s)\b|per second/.test(t)), `${name}: the axis titles name their units (${JSON.stringify(titles)})`);
  const ink = await plot.evaluate(tickInkHeight);
  // Digits are about 0.73 em tall: 8 px of ink is 11 px text.
  check(ink >= 8 && ink <= 24, `${name}: tick text ${ink.toFixed(1)} px of ink tall, readable`);
  const text = await hoverChart(page, name);
  check(/\d/.test(text), `${name}: hovering shows a readout with a number (${text})`);
  await page.mouse.move(0, 0);
  return ink;
}
