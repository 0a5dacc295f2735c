import type { Actor } from '../types';
import type { Placement } from './store';

export type LaneKind = 'client' | 'others' | 'external' | 'tap' | 'server' | 'publisher';

export interface Lane {
  kind: LaneKind;
  label: string;
  /** For `client`: the client number. For `others`: how many clients it stands for. */
  n: number;
}

export interface LaneLayout {
  lanes: Lane[];
  /** Lane index per store actor id (see `TraceStore.actors`). */
  laneOfActor: number[];
  tap: number;
  server: number;
  /** Client lanes that exist in the trace, shown or not. */
  totalClients: number;
  shownClients: number;
}

/**
 * Lanes from top to bottom: the first `cap` clients by number, one lane standing for the rest,
 * an external client when there is one, then the tap (the wire), the server and the publisher.
 * Arrows between a client and the server cross the tap lane, as the bytes do.
 */
export function layoutLanes(actors: readonly Actor[], cap: number): LaneLayout {
  const clientIds = [...new Set(actors.filter((a) => a.role === 'client').map((a) => (a as { id: number }).id))].sort(
    (a, b) => a - b,
  );
  const shown = clientIds.slice(0, Math.max(0, cap));
  const hidden = clientIds.length - shown.length;
  const lanes: Lane[] = shown.map((id) => ({ kind: 'client', label: `client ${id}`, n: id }));
  const clientLane = new Map<number, number>(shown.map((id, i) => [id, i]));
  let others = -1;
  if (hidden > 0) {
    others = lanes.length;
    lanes.push({ kind: 'others', label: `+${hidden} more client${hidden === 1 ? '' : 's'}`, n: hidden });
  }
  let external = -1;
  if (actors.some((a) => a.role === 'external')) {
    external = lanes.length;
    lanes.push({ kind: 'external', label: 'external client', n: 0 });
  }
  const tap = lanes.length;
  lanes.push({ kind: 'tap', label: 'wire (tap)', n: 0 });
  const server = lanes.length;
  lanes.push({ kind: 'server', label: 'server', n: 0 });
  const publisher = lanes.length;
  lanes.push({ kind: 'publisher', label: 'publisher', n: 0 });

  const laneOfActor = actors.map((a) => {
    switch (a.role) {
      case 'client':
        return clientLane.get(a.id) ?? others;
      case 'external':
        return external;
      case 'tap':
        return tap;
      case 'server':
        return server;
      case 'publisher':
        return publisher;
    }
  });
  return { lanes, laneOfActor, tap, server, totalClients: clientIds.length, shownClients: shown.length };
}

/** The lanes an event spans: [from, to] for arrows (from = sender), [lane, lane] for marks. */
export function laneSpan(layout: LaneLayout, p: Placement): [number, number] {
  const lane = layout.laneOfActor[p.actor] ?? layout.tap;
  if (p.arrow === 1) return [lane, layout.server];
  if (p.arrow === 2) return [layout.server, lane];
  return [lane, lane];
}

/** Vertical geometry: lane centres for a given canvas height. */
export interface LaneGeometry {
  top: number;
  laneHeight: number;
  centre(lane: number): number;
  /** Lane under y, or -1. */
  laneAt(y: number): number;
}

export function laneGeometry(count: number, top: number, height: number, minLane = 18, maxLane = 56): LaneGeometry {
  const laneHeight = Math.max(minLane, Math.min(maxLane, count > 0 ? height / count : maxLane));
  return {
    top,
    laneHeight,
    centre: (lane) => top + (lane + 0.5) * laneHeight,
    laneAt: (y) => {
      const l = Math.floor((y - top) / laneHeight);
      return l >= 0 && l < count ? l : -1;
    },
  };
}
