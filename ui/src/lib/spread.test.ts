import { beforeEach, describe, expect, it } from 'vitest';
import { CATEGORIES, type Category } from './events';
import { NO_FILTER } from './filter';
import { client, ev, PUBLISHER, resetSeq } from './fixtures';
import { hitTest } from './hit';
import { laneGeometry, layoutLanes } from './lanes';
import { drawTimeline, type Palette } from './render';
import {
  distinctTimes,
  fitSpread,
  MIN_EVENT_GAP_PX,
  panBy,
  placeAt,
  respread,
  type SpreadSource,
  spreadScale,
  ticks,
  toPx,
  toTime,
  visibleStretches,
  zoomAt,
} from './scale';
import { TraceStore } from './store';
import { FilteredView } from './view';

const MS = 1_000_000;
const WIDTH = 1000;
const PAD = 24;

/** 20 handshake events within 0.3 ms at 5 ms, then a publish every 200 ms until 2 s. */
function handshakeRun(): number[] {
  const burst = Array.from({ length: 20 }, (_, k) => 5 * MS + Math.round((k * 0.3 * MS) / 19));
  const later = Array.from({ length: 10 }, (_, k) => 200 * MS * (k + 1));
  return [...burst, ...later];
}

function source(times: number[], budgetPx = WIDTH / 2): SpreadSource {
  return { times: distinctTimes(times.length, (i) => times[i]!), minGapPx: MIN_EVENT_GAP_PX, budgetPx };
}

function gaps(xs: number[]): number[] {
  return xs.slice(1).map((x, i) => x - xs[i]!);
}

describe('fitting the time axis to the shown events', () => {
  it('spreads 20 handshake events within 0.3 ms at 5 ms at least the minimum gap apart, in true order', () => {
    const times = handshakeRun();
    const s = fitSpread(source(times), WIDTH, PAD);
    const xs = times.slice(0, 20).map((t) => toPx(s, t));
    for (const g of gaps(xs)) expect(g).toBeGreaterThanOrEqual(MIN_EVENT_GAP_PX - 1e-9);
    // Everything still fits between the paddings.
    expect(toPx(s, times[0]!)).toBeCloseTo(PAD, 0);
    expect(toPx(s, times[times.length - 1]!)).toBeLessThanOrEqual(WIDTH - PAD + 1e-6);
    expect(toPx(s, times[times.length - 1]!)).toBeGreaterThan(WIDTH - PAD - 2);
  });

  it('starts the axis just before the first shown event, not at time zero', () => {
    const times = handshakeRun();
    const s = fitSpread(source(times), WIDTH, PAD);
    // The margin is a few pixels at the burst's own spacing: microseconds, not the tens of
    // milliseconds that many pixels stand for elsewhere, which would reach back past time zero.
    expect(s.start).toBeLessThan(times[0]!);
    expect(s.start).toBeGreaterThan(times[0]! - 0.1 * MS);
    expect(toTime(s, toPx(s, times[0]!))).toBeCloseTo(times[0]!, 0);
    expect(toPx(s, 0)).toBeLessThan(0);
    expect(ticks(s, WIDTH)[0]!.t).toBeGreaterThan(0);
  });

  it('keeps later events at the resolution of the fit, far from the burst', () => {
    const times = handshakeRun();
    const s = fitSpread(source(times), WIDTH, PAD);
    const xs = times.slice(20).map((t) => toPx(s, t));
    for (const g of gaps(xs)) expect(g).toBeCloseTo((200 * MS) / s.nsPerPx, 6);
  });

  it('gives simultaneous events one position, so an arrow and a mark at the same instant stay aligned', () => {
    const times = [5 * MS, 5 * MS, 5 * MS + 1000, 900 * MS];
    const src = source(times);
    expect(Array.from(src.times.count)).toEqual([2, 1, 1]);
    const s = fitSpread(src, WIDTH, PAD);
    expect(toPx(s, times[1]!)).toBe(toPx(s, times[0]!));
    expect(toPx(s, times[2]!) - toPx(s, times[1]!)).toBeGreaterThanOrEqual(MIN_EVENT_GAP_PX - 1e-9);
  });

  it('fits a single event without dividing by zero', () => {
    const s = fitSpread(source([7 * MS]), 800, PAD);
    expect(Number.isFinite(s.nsPerPx)).toBe(true);
    expect(toPx(s, 7 * MS)).toBeCloseTo(400, 6);
  });
});

describe('a spread axis stays truthful', () => {
  it('maps each time to one position and back, increasing everywhere', () => {
    const s = fitSpread(source(handshakeRun()), WIDTH, PAD);
    let prev = -Infinity;
    for (let t = 4.9 * MS; t < 5.4 * MS; t += 3_000) {
      const x = toPx(s, t);
      expect(x).toBeGreaterThan(prev);
      expect(toTime(s, x)).toBeCloseTo(t, 3);
      prev = x;
    }
  });

  it('puts ruler ticks where their real time falls, never closer than the step width', () => {
    const s = fitSpread(source(handshakeRun()), WIDTH, PAD);
    const tk = ticks(s, WIDTH);
    expect(tk.length).toBeGreaterThan(3);
    for (const t of tk) {
      expect(t.x).toBeCloseTo(toPx(s, t.t), 9);
      expect(t.label).toBe(`${t.t / MS} ms`);
    }
    for (const g of gaps(tk.map((t) => t.x))) expect(g).toBeGreaterThanOrEqual(90 - 1e-9);
  });

  it('marks the widened stretch with its real start, end and number of events', () => {
    const times = handshakeRun();
    const s = fitSpread(source(times), WIDTH, PAD);
    const shown = visibleStretches(s, WIDTH);
    expect(shown).toHaveLength(1);
    const st = shown[0]!;
    expect(st.t0).toBe(times[0]);
    expect(st.t1).toBe(times[19]);
    expect(st.events).toBe(20);
    expect(st.x0).toBeLessThan(toPx(s, times[0]!));
    expect(st.x1).toBeGreaterThan(toPx(s, times[19]!));
  });

  it('is linear again once zoomed in far enough to show the burst to scale', () => {
    const times = handshakeRun();
    let s = fitSpread(source(times), WIDTH, PAD);
    const x = toPx(s, 5.15 * MS);
    for (let i = 0; i < 40 && s.spread?.layout.u; i++) s = zoomAt(s, x, 2);
    expect(s.spread?.layout.u).toBeNull();
    expect(visibleStretches(s, WIDTH)).toEqual([]);
    const xs = times.slice(0, 20).map((t) => toPx(s, t));
    gaps(xs).forEach((g, i) => expect(g).toBeCloseTo((times[i + 1]! - times[i]!) / s.nsPerPx, 6));
  });

  it('zooms around the pointer and pans rigidly', () => {
    const times = handshakeRun();
    const s = fitSpread(source(times), WIDTH, PAD);
    for (const x of [30, 120, 600]) {
      const z = zoomAt(s, x, 1.5);
      expect(toTime(z, x)).toBeCloseTo(toTime(s, x), 0);
    }
    const p = panBy(s, 40);
    for (const t of times) expect(toPx(p, t)).toBeCloseTo(toPx(s, t) + 40, 6);
  });

  it('adds no more width than the budget when events crowd everywhere', () => {
    // 20,000 events 50 µs apart: spreading them all is impossible, the axis stays about linear.
    const times = Array.from({ length: 20_000 }, (_, k) => 3 * MS + k * 50_000);
    const s = fitSpread(source(times, 500), WIDTH, PAD);
    const xs = times.map((t) => toPx(s, t));
    expect(gaps(xs).every((g) => g >= 0)).toBe(true);
    expect(xs[xs.length - 1]! - xs[0]!).toBeLessThanOrEqual(WIDTH - 2 * PAD + 1e-6);
    const linear = (times[times.length - 1]! - times[0]!) / s.nsPerPx;
    expect(xs[xs.length - 1]! - xs[0]! - linear).toBeLessThanOrEqual(500 + 1e-6);
  });

  it('keeps its start when the shown events change', () => {
    const times = handshakeRun();
    const s = fitSpread(source(times.slice(0, 25)), WIDTH, PAD);
    const r = respread(s, source(times));
    expect(r.start).toBe(s.start);
    expect(r.nsPerPx).toBe(s.nsPerPx);
    expect(toPx(r, times[0]!)).toBeCloseTo(toPx(s, times[0]!), 6);
  });

  it('keeps a live window starting before the first event', () => {
    const times = handshakeRun();
    const ns = 1e9 / WIDTH;
    const s = placeAt(spreadScale(times[0]!, ns, source(times)), times[0]!, 24);
    expect(toPx(s, times[0]!)).toBeCloseTo(24, 6);
    expect(s.start).toBeLessThan(times[0]!);
    for (const g of gaps(times.slice(0, 20).map((t) => toPx(s, t)))) expect(g).toBeGreaterThanOrEqual(MIN_EVENT_GAP_PX - 1e-9);
  });
});

describe('the timeline over a spread axis', () => {
  beforeEach(resetSeq);

  it('lets each of 20 tcp opens within 0.3 ms be picked on its own, twelve of them in the shared lane', () => {
    const store = new TraceStore();
    const opens = Array.from({ length: 20 }, (_, k) =>
      ev(
        { type: 'tcp_open', client_addr: `127.0.0.1:${40000 + k}`, server_addr: '127.0.0.1:8000' },
        { actor: client(k), conn: k, t_ns: 5 * MS + k * 15_000 },
      ),
    );
    store.add([...opens, ev({ type: 'message_published', msg_id: 1, size: 10 }, { actor: PUBLISHER, t_ns: 1800 * MS })]);
    const view = new FilteredView(store);
    view.sync(NO_FILTER, '');
    const s = fitSpread(source(Array.from({ length: view.length }, (_, p) => view.at(p)!.t_ns)), WIDTH, PAD);
    const layout = layoutLanes(store.actors, 8);
    // 8 client lanes, one for the other 12 clients, the wire, the server and the publisher.
    expect(layout.lanes).toHaveLength(12);
    const geom = laneGeometry(layout.lanes.length, 0, 480, 18, 40);
    for (const e of opens) {
      const lane = layout.laneOfActor[store.placements[store.indexOfSeq(e.seq)]!.actor]!;
      // A pointer reports whole pixels.
      expect(hitTest(store, view, s, layout, geom, Math.round(toPx(s, e.t_ns)), geom.centre(lane), 3)).toBe(e.seq);
    }
  });
});

/** A 2D context that records the text drawn; everything else is a no-op. */
function recordingContext(texts: { text: string; x: number }[]): CanvasRenderingContext2D {
  const target: Record<string | symbol, unknown> = {
    fillText: (text: string, x: number) => texts.push({ text, x }),
    measureText: (text: string) => ({ width: text.length * 6 }),
  };
  return new Proxy(target, {
    get: (o, k) => (k in o ? o[k] : () => undefined),
    set: (o, k, v) => ((o[k] = v), true),
  }) as unknown as CanvasRenderingContext2D;
}

describe('drawing a spread axis', () => {
  beforeEach(resetSeq);

  it('names the widened stretch on the ruler with its real start, and keeps the tick labels true', () => {
    const g = globalThis as { Path2D?: unknown };
    const hadPath = 'Path2D' in g;
    g.Path2D ??= class {
      moveTo() {}
      lineTo() {}
      rect() {}
      arc() {}
      closePath() {}
    };
    try {
      const store = new TraceStore();
      const opens = Array.from({ length: 20 }, (_, k) =>
        ev({ type: 'tcp_open', client_addr: `127.0.0.1:${40000 + k}`, server_addr: '127.0.0.1:8000' }, { actor: client(k), conn: k, t_ns: 5 * MS + k * 15_000 }),
      );
      const publishes = Array.from({ length: 9 }, (_, k) => ev({ type: 'message_published', msg_id: k, size: 10 }, { actor: PUBLISHER, t_ns: 200 * MS * (k + 1) }));
      store.add([...opens, ...publishes]);
      const view = new FilteredView(store);
      view.sync(NO_FILTER, '');
      const gutter = 104;
      const plotW = WIDTH - gutter;
      const s = fitSpread(source(Array.from({ length: view.length }, (_, p) => view.at(p)!.t_ns)), plotW, PAD);
      const layout = layoutLanes(store.actors, 8);
      const cat = Object.fromEntries(CATEGORIES.map((c) => [c.id, '#000'])) as Record<Category, string>;
      const palette: Palette = { bg: '', laneAlt: '', laneLine: '', gutter: '', text: '', muted: '', grid: '', select: '', related: '', hit: '', cursor: '', spread: '', cat };
      const texts: { text: string; x: number }[] = [];
      drawTimeline({
        ctx: recordingContext(texts),
        width: WIDTH,
        height: 400,
        dpr: 1,
        gutter,
        rulerHeight: 24,
        store,
        view,
        layout,
        geom: laneGeometry(layout.lanes.length, 24, 376),
        scale: s,
        selected: null,
        related: new Set(),
        cursorT: null,
        palette,
        font: '11px sans-serif',
      });
      const band = texts.find((t) => t.text.includes(' + '));
      expect(band?.text).toBe('5.000 ms + 285 µs');
      expect(band!.x).toBeGreaterThan(gutter + toPx(s, 5 * MS) - MIN_EVENT_GAP_PX);
      const tickLabels = texts.filter((t) => / ms$/.test(t.text) && t !== band);
      expect(tickLabels.length).toBeGreaterThanOrEqual(3);
      expect(tickLabels.map((t) => t.text)).not.toContain('0 ms');
      for (const t of tickLabels) {
        const ms = Number(t.text.replace(' ms', ''));
        expect(t.x - gutter - 4).toBeCloseTo(toPx(s, ms * MS), 6);
      }
    } finally {
      if (!hadPath) delete g.Path2D;
    }
  });
});
