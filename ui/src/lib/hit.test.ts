import { beforeEach, describe, expect, it } from 'vitest';
import { NO_FILTER } from './filter';
import { poll, resetSeq } from './fixtures';
import { hitTest } from './hit';
import { laneGeometry, layoutLanes } from './lanes';
import { TraceStore } from './store';
import { FilteredView } from './view';

beforeEach(resetSeq);

describe('hit testing', () => {
  it('finds the arrow or mark under the pointer', () => {
    const store = new TraceStore();
    store.add(poll(0, 1, 1_000_000));
    const view = new FilteredView(store);
    view.sync(NO_FILTER, '');
    const layout = layoutLanes(store.actors, 8);
    // lanes: client 0, tap, server, publisher — 40 px each from y = 0
    const geom = laneGeometry(layout.lanes.length, 0, 160, 18, 40);
    const scale = { start: 0, nsPerPx: 10_000 };
    // request at 1.1 ms → x 110, an arrow from lane 0 (y 20) to the server lane (y 100)
    expect(hitTest(store, view, scale, layout, geom, 111, 60)).toBe(1);
    // response at 1.4 ms → x 140
    expect(hitTest(store, view, scale, layout, geom, 138, 90)).toBe(2);
    // the tcp_open mark sits on the client lane at x 100
    expect(hitTest(store, view, scale, layout, geom, 101, 22)).toBe(0);
    // nothing on the publisher lane
    expect(hitTest(store, view, scale, layout, geom, 110, 140)).toBeNull();
    // nothing far from any event
    expect(hitTest(store, view, scale, layout, geom, 300, 60)).toBeNull();
  });
});
