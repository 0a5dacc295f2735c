import type { Actor, TraceEvent } from '../types';
import { actorKey, type Category, categoryOf, connKey, isClientActor, isWireMessage } from './events';

/** Where an event is drawn, worked out once when it arrives. */
export interface Placement {
  /** Actor whose lane holds the event; for wire messages, the client end of the arrow. */
  actor: number;
  /** 0: a mark on the lane; 1: arrow client → server; 2: arrow server → client. */
  arrow: 0 | 1 | 2;
  category: Category;
}

/**
 * The trace as the UI holds it: events in sequence order, indexed for the timeline.
 * Events may arrive twice or out of order (live stream and catch-up requests overlap);
 * each sequence number is kept once.
 */
export class TraceStore {
  readonly events: TraceEvent[] = [];
  readonly placements: Placement[] = [];
  /** Bumped whenever existing positions change (reset, or an insertion before the end). */
  generation = 0;
  /** Every actor seen, numbered in order of appearance; placements refer to these numbers. */
  readonly actors: Actor[] = [];
  readonly experiments: string[] = [];
  minT = Infinity;
  maxT = -Infinity;

  private readonly actorIds = new Map<string, number>();
  private readonly connClients = new Map<string, Actor>();
  private readonly childIndex = new Map<number, number[]>();
  /** Deliveries by the seq of the publish they came from. */
  private readonly deliveryIndex = new Map<number, number[]>();

  get size(): number {
    return this.events.length;
  }

  /** Highest sequence number held, -1 when empty. */
  get lastSeq(): number {
    return this.events.length === 0 ? -1 : this.events[this.events.length - 1]!.seq;
  }

  reset(): void {
    this.events.length = 0;
    this.placements.length = 0;
    this.actors.length = 0;
    this.experiments.length = 0;
    this.actorIds.clear();
    this.connClients.clear();
    this.childIndex.clear();
    this.deliveryIndex.clear();
    this.minT = Infinity;
    this.maxT = -Infinity;
    this.generation++;
  }

  /** Adds events, skipping those already held. Returns how many were new. */
  add(batch: readonly TraceEvent[]): number {
    let added = 0;
    const late: TraceEvent[] = [];
    for (const e of batch) {
      const n = this.events.length;
      if (n === 0 || e.seq > this.events[n - 1]!.seq) {
        this.events.push(e);
        this.placements.push(this.place(e));
        this.index(e);
        added++;
      } else {
        late.push(e);
      }
    }
    if (late.length > 0) added += this.mergeLate(late);
    return added;
  }

  /** Events older than the newest held (a catch-up after a gap) go in with one merge pass. */
  private mergeLate(late: TraceEvent[]): number {
    late.sort((a, b) => a.seq - b.seq);
    const fresh: TraceEvent[] = [];
    for (const e of late) {
      if (fresh.length > 0 && fresh[fresh.length - 1]!.seq === e.seq) continue;
      if (this.indexOfSeq(e.seq) >= 0) continue;
      fresh.push(e);
    }
    if (fresh.length === 0) return 0;
    const events = this.events.slice();
    const placements = this.placements.slice();
    this.events.length = 0;
    this.placements.length = 0;
    let i = 0;
    let j = 0;
    while (i < events.length || j < fresh.length) {
      if (j >= fresh.length || (i < events.length && events[i]!.seq < fresh[j]!.seq)) {
        this.events.push(events[i]!);
        this.placements.push(placements[i]!);
        i++;
      } else {
        const e = fresh[j]!;
        this.events.push(e);
        this.placements.push(this.place(e));
        this.index(e);
        j++;
      }
    }
    this.generation++;
    return fresh.length;
  }

  /** Position of `seq` in `events`, or -1. */
  indexOfSeq(seq: number): number {
    const at = this.lowerBound(seq);
    return this.events[at]?.seq === seq ? at : -1;
  }

  get(seq: number): TraceEvent | undefined {
    const i = this.indexOfSeq(seq);
    return i < 0 ? undefined : this.events[i];
  }

  /** Sequence numbers of the events whose `parent` is `seq`, ascending. */
  childrenOf(seq: number): readonly number[] {
    return this.childIndex.get(seq) ?? [];
  }

  /** Sequence numbers of the deliveries of the message published by event `seq`, ascending. */
  deliveriesOf(seq: number): readonly number[] {
    return this.deliveryIndex.get(seq) ?? [];
  }

  /** The client end of an event's connection (the actor of its `tcp_open` or requests). */
  clientOf(e: TraceEvent): Actor | undefined {
    if (isClientActor(e.actor)) return e.actor;
    if (e.conn === undefined || e.conn === null) return undefined;
    return this.connClients.get(connKey(e.experiment, e.conn));
  }

  actorId(a: Actor): number {
    const key = actorKey(a);
    let id = this.actorIds.get(key);
    if (id === undefined) {
      id = this.actors.length;
      this.actors.push(a);
      this.actorIds.set(key, id);
    }
    return id;
  }

  private lowerBound(seq: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private place(e: TraceEvent): Placement {
    if (e.conn !== undefined && e.conn !== null && isClientActor(e.actor)) {
      const key = connKey(e.experiment, e.conn);
      if (!this.connClients.has(key)) this.connClients.set(key, e.actor);
    }
    const category = categoryOf(e);
    // Every actor is known to the store (filters list them), even one that only sends arrows.
    const own = this.actorId(e.actor);
    if (isWireMessage(e)) {
      const client = this.clientOf(e);
      if (client) {
        return { actor: this.actorId(client), arrow: e.dir === 'client_to_server' ? 1 : 2, category };
      }
    }
    return { actor: own, arrow: 0, category };
  }

  private index(e: TraceEvent): void {
    if (e.t_ns < this.minT) this.minT = e.t_ns;
    if (e.t_ns > this.maxT) this.maxT = e.t_ns;
    if (!this.experiments.includes(e.experiment)) this.experiments.push(e.experiment);
    if (e.parent !== undefined && e.parent !== null) addSorted(this.childIndex, e.parent, e.seq);
    if (e.kind.type === 'message_delivered' && e.kind.published !== undefined && e.kind.published !== null) {
      addSorted(this.deliveryIndex, e.kind.published, e.seq);
    }
  }
}

/** Adds `seq` to the ascending list under `key`. */
function addSorted(index: Map<number, number[]>, key: number, seq: number): void {
  const list = index.get(key);
  if (!list) index.set(key, [seq]);
  else {
    list.push(seq);
    if (list.length > 1 && list[list.length - 2]! > seq) list.sort((a, b) => a - b);
  }
}
