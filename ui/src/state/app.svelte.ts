import { createLab, errorHint, type Lab, type LabError, type LiveState, toLabError } from '../ipc';
import { relatedSeqs } from '../lib/causality';
import { type Filter, NO_FILTER } from '../lib/filter';
import { advancePlayhead, stepFrom } from '../lib/playback';
import { TraceStore } from '../lib/store';
import { rememberSummaries } from '../lib/summary';
import { FilteredView } from '../lib/view';
import type { Catalog, GuessDto, LiveMessage, RunStatus, StartRun, TraceEvent } from '../types';
import type { NatRunRequest } from '../bindings/NatRunRequest';
import type { NatLive } from '../bindings/NatLive';
import type { NatRunView } from '../bindings/NatRunView';

export interface Banner {
  id: number;
  title: string;
  error: LabError;
  hint: string | null;
}

export type Tab = 'course' | 'wizard' | 'timeline' | 'compare' | 'nat' | 'cluster' | 'practice' | 'call';
export type Theme = 'light' | 'dark';

/** What the whole page shares: the lab connection, the trace, and what the user is looking at. */
export class AppState {
  readonly lab: Lab;
  readonly store = new TraceStore();
  readonly view = new FilteredView(this.store);

  catalog = $state<Catalog | null>(null);
  status = $state<RunStatus | null>(null);
  banners = $state<Banner[]>([]);
  live = $state<LiveState>({ state: 'connecting' });
  /** Bumped each time the trace or the view changed; whoever draws from them reads it. */
  tick = $state(0);
  filter = $state.raw<Filter>(NO_FILTER);
  query = $state('');
  selected = $state<number | null>(null);
  tab = $state<Tab>('timeline');
  /** Keep the newest events in view while a run streams. */
  follow = $state(true);
  /** Replay / step mode: events after the playhead are drawn faded. */
  stepMode = $state(false);
  playing = $state(false);
  playhead = $state(0);
  speed = $state(0.02);
  clientCap = $state(8);
  helpOpen = $state(false);
  theme = $state<Theme>('light');
  /** Predictions the learner locked in, by `lesson/id`, waiting for their experiment's run. */
  lockedGuesses = $state<Record<string, GuessDto>>({});
  /** A NAT-lab setup handed over from a lesson ("Open in the NAT lab"), taken by the NAT lab view. */
  natRequest = $state<NatRunRequest | null>(null);
  /** What the NAT lab showed when the learner left its tab, to show again on return. */
  natKept: { request: NatRunRequest; pace: number | 'instant'; run: NatRunView | null; liveId: number | null } | null = null;
  /** The newest live NAT-lab run as the lab streams it (each message replaces the last). */
  natLive = $state.raw<NatLive | null>(null);
  /** Bumped whenever the trace is replaced (new run or import), so views can start afresh. */
  epoch = 0;

  private runId: number | null = null;
  private scheduled = false;
  private nextBannerId = 1;
  private playTimer: number | null = null;
  private lastFrame = 0;

  constructor(lab?: Lab) {
    this.lab = lab ?? createLab();
  }

  get running(): boolean {
    return this.status?.state === 'running';
  }

  /** Sequence numbers of the selected event's cause and effects. */
  related(): Set<number> {
    return this.selected === null ? new Set() : relatedSeqs(this.store, this.selected);
  }

  start(): () => void {
    this.lab.listExperiments().then(
      (c) => (this.catalog = c),
      (e: unknown) => this.report('Could not load the list of experiments', e),
    );
    this.lab.runStatus().then(
      (s) => this.applyStatus(s),
      (e: unknown) => this.report('Could not read the lab status', e),
    );
    return this.lab.subscribe((m) => this.onLive(m), {
      lastSeq: () => this.store.lastSeq,
      onState: (s) => (this.live = s),
      onError: (e) => this.report('Could not catch up with the live stream', e),
    });
  }

  // ---- errors ----------------------------------------------------------------------------

  report(title: string, e: unknown): void {
    const error = toLabError(e);
    if (this.banners.some((b) => b.title === title && b.error.message === error.message)) return;
    this.banners = [...this.banners, { id: this.nextBannerId++, title, error, hint: errorHint(error) }];
  }

  dismiss(id: number): void {
    this.banners = this.banners.filter((b) => b.id !== id);
  }

  // ---- the trace -------------------------------------------------------------------------

  private onLive(m: LiveMessage): void {
    switch (m.type) {
      case 'reset':
      case 'status':
        this.applyStatus(m.status);
        break;
      case 'events':
        this.addEvents(m.events, m.summaries);
        break;
      case 'nat':
        this.natLive = m.live;
        break;
      case 'lagged':
        this.catchUp();
        break;
    }
  }

  /** A status with a new run id means the trace was replaced: drop what is held. */
  applyStatus(s: RunStatus): void {
    if (this.runId !== s.run_id) {
      const wasNone = this.runId === null;
      this.runId = s.run_id;
      if (!wasNone || this.store.size > 0) this.clearTrace();
      if (s.state === 'running') this.follow = true;
    }
    const prev = this.status;
    this.status = s;
    if (prev && prev.state === 'running' && s.state !== 'running') this.schedule();
  }

  private clearTrace(): void {
    this.epoch++;
    this.store.reset();
    this.selected = null;
    this.stopPlaying();
    this.stepMode = false;
    this.refresh();
  }

  private addEvents(events: TraceEvent[], summaries: string[]): void {
    rememberSummaries(events, summaries);
    const generation = this.store.generation;
    if (this.store.add(events) === 0) return;
    // Appends keep the view's positions valid until the next frame; anything else moved
    // events around, so the view must follow before anyone reads it.
    if (this.store.generation !== generation) this.refresh();
    else this.schedule();
  }

  private catchUp(): void {
    this.lab.traceSince({ from: Math.max(0, this.store.lastSeq + 1) }).then(
      (page) => this.addEvents(page.events, page.summaries),
      (e: unknown) => this.report('Could not fetch the events the live view missed', e),
    );
  }

  /** Coalesces updates: the view is re-synced at most once per animation frame. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.refresh();
    });
  }

  /** Brings the filtered view up to date now. */
  refresh(): void {
    this.view.sync(this.filter, this.query);
    this.tick++;
  }

  setFilter(f: Filter): void {
    this.filter = f;
    this.refresh();
  }

  setQuery(q: string): void {
    this.query = q;
    this.refresh();
  }

  // ---- selection, stepping, replay --------------------------------------------------------

  select(seq: number | null): void {
    this.selected = seq;
    if (seq !== null && this.stepMode) {
      const e = this.store.get(seq);
      if (e) this.playhead = e.t_ns;
    }
  }

  step(dir: 1 | -1): void {
    this.stopPlaying();
    this.enterStepMode();
    const next = stepFrom(this.store, this.view, this.selected, dir);
    if (next !== null) this.select(next);
  }

  private enterStepMode(): void {
    if (!this.stepMode) {
      this.stepMode = true;
      this.follow = false;
      if (this.selected === null && this.view.length > 0) {
        this.playhead = this.view.at(0)!.t_ns;
      }
    }
  }

  exitStepMode(): void {
    this.stopPlaying();
    this.stepMode = false;
  }

  togglePlay(): void {
    if (this.playing) {
      this.stopPlaying();
      return;
    }
    if (this.follow && this.running) {
      // Pausing a live view: freeze it on the newest event.
      this.follow = false;
      this.enterStepMode();
      const last = this.view.at(this.view.length - 1);
      if (last) this.select(last.seq);
      return;
    }
    this.play(false);
  }

  /** Plays the shown events in time order from the selection (or from the start). */
  play(fromStart: boolean): void {
    if (this.view.length === 0) return;
    this.enterStepMode();
    const last = this.view.at(this.view.length - 1)!;
    if (fromStart || this.selected === null || this.selected === last.seq) {
      const first = this.view.at(0)!;
      this.select(first.seq);
      this.playhead = first.t_ns;
    }
    this.playing = true;
    this.lastFrame = performance.now();
    const frame = (now: number) => {
      if (!this.playing) return;
      const wall = Math.min(100, now - this.lastFrame);
      this.lastFrame = now;
      const at = this.view.lowerBoundTime(this.playhead + 1);
      const next = this.view.at(at);
      this.playhead = advancePlayhead(this.playhead, wall, this.speed, next ? next.t_ns : null);
      const reached = this.view.lowerBoundTime(this.playhead + 1) - 1;
      const cur = this.view.at(reached);
      if (cur && cur.seq !== this.selected) this.selected = cur.seq;
      if (!next && !this.running) {
        this.playing = false;
        this.playTimer = null;
        return;
      }
      this.playTimer = requestAnimationFrame(frame);
    };
    this.playTimer = requestAnimationFrame(frame);
  }

  stopPlaying(): void {
    this.playing = false;
    if (this.playTimer !== null) cancelAnimationFrame(this.playTimer);
    this.playTimer = null;
  }

  setFollow(on: boolean): void {
    this.follow = on;
    if (on) this.exitStepMode();
  }

  // ---- commands ---------------------------------------------------------------------------

  /** Starts a run; `showTimeline` switches to the timeline (lessons stay where they are). */
  async startRun(req: StartRun, showTimeline = true): Promise<void> {
    try {
      this.applyStatus(await this.lab.startRun(req));
      this.follow = true;
      if (showTimeline) this.tab = 'timeline';
    } catch (e) {
      this.report('The run did not start', e);
    }
  }

  async stopRun(): Promise<void> {
    try {
      this.applyStatus(await this.lab.stopRun());
    } catch (e) {
      this.report('The run did not stop', e);
    }
  }

  async importText(text: string, name: string): Promise<void> {
    try {
      this.applyStatus(await this.lab.importTrace({ text }));
      this.follow = false;
      this.tab = 'timeline';
    } catch (e) {
      this.report(`Could not import ${name}`, e);
    }
  }
}
