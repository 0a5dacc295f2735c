import { beforeEach, describe, expect, it } from 'vitest';
import { NO_FILTER, type Filter, parseConnList } from './filter';
import { client, ev, poll, PUBLISHER, resetSeq, SERVER, wsFrame } from './fixtures';
import { TraceStore } from './store';
import { FilteredView } from './view';

beforeEach(resetSeq);

function setup() {
  const store = new TraceStore();
  const pub = ev({ type: 'message_published', msg_id: 1, size: 64 }, { actor: PUBLISHER, t_ns: 0 });
  store.add([pub, ...poll(0, 1, 1e6, 'polling', pub.seq), ...poll(1, 2, 2e6, 'polling')]);
  store.add([
    ev(wsFrame({ opcode: 9, opcode_name: 'ping', payload_len: 0, payload: { truncated: false } }), { actor: SERVER, conn: 1, dir: 'server_to_client', experiment: 'websocket', t_ns: 9e6 }),
    ev(wsFrame(), { actor: client(3), conn: 1, dir: 'client_to_server', experiment: 'websocket', t_ns: 8e6 }),
  ]);
  const view = new FilteredView(store);
  return { store, view };
}

const seqs = (v: FilteredView) => v.order.map((_, p) => v.at(p)!.seq);
const f = (over: Partial<Filter>): Filter => ({ ...NO_FILTER, ...over });

describe('filtered view', () => {
  it('shows everything in time order when nothing is filtered', () => {
    const { view } = setup();
    view.sync(NO_FILTER, '');
    expect(view.length).toBe(10);
    const times = view.order.map((_, p) => view.at(p)!.t_ns);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // the ws frame recorded later but timed earlier comes first
    expect(seqs(view).slice(-2)).toEqual([9, 8]);
  });

  it('filters by colour class', () => {
    const { view } = setup();
    view.sync(f({ hiddenCategories: ['http', 'tcp', 'app', 'ws-data'] }), '');
    expect(seqs(view)).toEqual([8]);
  });

  it('filters by kind', () => {
    const { view } = setup();
    view.sync(f({ kinds: ['http_response'] }), '');
    expect(seqs(view)).toEqual([3, 7]);
  });

  it('filters by connection and experiment', () => {
    const { view } = setup();
    view.sync(f({ conns: [1] }), '');
    expect(seqs(view)).toEqual([1, 2, 3, 9, 8]);
    view.sync(f({ conns: [1], experiment: 'websocket' }), '');
    expect(seqs(view)).toEqual([9, 8]);
  });

  it("filters by actor, a client keeping the server's answers on its connections", () => {
    const { view } = setup();
    view.sync(f({ actors: ['client:1'] }), '');
    expect(seqs(view)).toEqual([5, 6, 7]);
    view.sync(f({ actors: ['publisher'] }), '');
    expect(seqs(view)).toEqual([0]);
  });

  it('finds search hits among shown events only, case-insensitively', () => {
    const { view } = setup();
    view.sync(NO_FILTER, 'GET /MESSAGES');
    expect([...view.hits].sort()).toEqual([2, 6]);
    view.sync(f({ actors: ['client:0'] }), 'get /messages');
    expect([...view.hits]).toEqual([2]);
  });

  it('steps through hits both ways, wrapping around', () => {
    const { view } = setup();
    view.sync(NO_FILTER, 'get');
    const first = view.nextHit(-1, 1);
    expect(view.at(first)!.seq).toBe(2);
    const second = view.nextHit(first, 1);
    expect(view.at(second)!.seq).toBe(6);
    expect(view.nextHit(second, 1)).toBe(first);
    expect(view.nextHit(first, -1)).toBe(second);
    expect(view.hitRank(second)).toBe(2);
    expect(view.nextHit(-1, -1)).toBe(second);
  });

  it('grows incrementally to the same result as a rebuild', () => {
    const { store, view } = setup();
    const filter = f({ hiddenCategories: ['tcp'] });
    view.sync(filter, 'ok');
    store.add([...poll(2, 3, 3e6), ev({ type: 'note', text: 'late but early' }, { t_ns: 500 })]);
    view.sync(filter, 'ok');
    const incremental = seqs(view);
    const hits = [...view.hits].sort();
    const fresh = new FilteredView(store);
    fresh.sync(filter, 'ok');
    expect(incremental).toEqual(seqs(fresh));
    expect(hits).toEqual([...fresh.hits].sort());
    expect(incremental[0]).toBe(0);
    expect(incremental[1]).toBe(13);
  });

  it('finds positions by time and by sequence number', () => {
    const { view } = setup();
    view.sync(NO_FILTER, '');
    expect(view.at(view.lowerBoundTime(2e6))!.seq).toBe(5);
    expect(view.positionOf(5)).toBe(5);
    view.sync(f({ kinds: ['tcp_open'] }), '');
    expect(view.positionOf(2)).toBe(-1);
  });
});

describe('connection list', () => {
  it('parses ids and ranges', () => {
    expect(parseConnList('3, 5-7 3')).toEqual([3, 5, 6, 7]);
    expect(parseConnList('  ')).toEqual([]);
    expect(parseConnList('a')).toBeNull();
    expect(parseConnList('7-5')).toBeNull();
  });
});
