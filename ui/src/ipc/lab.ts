import type { LiveMessage } from '../types';
import type { TraceFormat } from '../bindings/TraceFormat';
import type { OperationMethods } from './operations';

export type { TraceFormat };

/** Every failure that crosses the door: the lab's own `ApiError` kinds plus `network`. */
export interface LabError {
  kind: string;
  message: string;
}


export const PLOT_NAMES = ['latency-cdf', 'bytes-per-message', 'requests-per-second'] as const;
export type PlotName = (typeof PLOT_NAMES)[number];

/** State of the live stream, for a small indicator. */
export type LiveState =
  | { state: 'connecting' }
  | { state: 'live' }
  | { state: 'reconnecting'; inMs: number; attempt: number };

export interface SubscribeOptions {
  /** Highest sequence number the caller holds (-1 for none); used to catch up after a drop. */
  lastSeq?: () => number;
  onState?: (s: LiveState) => void;
  /** Failures of the stream's own catch-up requests. */
  onError?: (e: LabError) => void;
}

export type Unsubscribe = () => void;

/** The one interface the UI uses to talk to the lab, whatever carries it: every operation
 * of the control API (generated from Rust into `operations.ts`), plus the live stream and
 * what differs between the shells. */
export interface Lab extends OperationMethods {
  /** `tauri` inside the desktop app, `http` in a browser served by `rtc-lab serve`. */
  readonly transport: 'tauri' | 'http';
  /** Saves an export where the user finds it (a browser download, or the Downloads folder
   * of the desktop app, which has no download manager); resolves with a line saying where. */
  saveExport(what: TraceFormat | PlotName): Promise<string>;
  /** Tells the shell the first frame is on screen (the desktop app measures its cold start). */
  firstPaint(): void;
  /** Opens this page in the user's browser (the desktop app serves the same lab to it, for
   * what its web engine cannot do, such as WebRTC); resolves with the page's address. */
  openInBrowser(): Promise<string>;
  /** Live messages in order. After a dropped stream is restored, the missed part is
   * delivered as ordinary messages (`reset` when the trace was replaced meanwhile). */
  subscribe(onMessage: (m: LiveMessage) => void, options?: SubscribeOptions): Unsubscribe;
}
