import { beforeEach, describe, expect, it } from 'vitest';
import { NO_FILTER } from './filter';
import { poll, resetSeq } from './fixtures';
import { advancePlayhead, speedLabel, stepFrom } from './playback';
import { TraceStore } from './store';
import { FilteredView } from './view';

beforeEach(resetSeq);

describe('stepping', () => {
  function setup() {
    const store = new TraceStore();
    store.add([...poll(0, 1, 0), ...poll(1, 2, 1e6)]);
    const view = new FilteredView(store);
    return { store, view };
  }

  it('moves one shown event at a time and stops at the ends', () => {
    const { store, view } = setup();
    view.sync(NO_FILTER, '');
    expect(stepFrom(store, view, null, 1)).toBe(0);
    expect(stepFrom(store, view, null, -1)).toBe(5);
    expect(stepFrom(store, view, 2, 1)).toBe(3);
    expect(stepFrom(store, view, 2, -1)).toBe(1);
    expect(stepFrom(store, view, 5, 1)).toBeNull();
    expect(stepFrom(store, view, 0, -1)).toBeNull();
  });

  it('respects filters, stepping by time from a hidden event', () => {
    const { store, view } = setup();
    view.sync({ ...NO_FILTER, kinds: ['http_request'] }, '');
    expect(stepFrom(store, view, 1, 1)).toBe(4);
    // seq 2 (a response) is hidden: the next request after it in time is seq 4
    expect(stepFrom(store, view, 2, 1)).toBe(4);
    expect(stepFrom(store, view, 2, -1)).toBe(1);
  });
});

describe('replay playhead', () => {
  it('advances at the chosen speed', () => {
    expect(advancePlayhead(0, 100, 0.01, 5e6)).toBe(1e6);
  });

  it('skips long quiet stretches', () => {
    const p = advancePlayhead(0, 10, 0.001, 10e9, 700);
    expect(p).toBe(10e9 - 700 * 1e6 * 0.001);
  });

  it('labels speeds as real time per trace millisecond', () => {
    expect(speedLabel(0.01)).toBe('1 ms of trace plays in 100 ms');
    expect(speedLabel(0.001)).toBe('1 ms of trace plays in 1 s');
  });
});
