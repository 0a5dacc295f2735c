import type {
  Catalog, ChallengeResultDto, CourseDto, GuessDto, LiveMessage, PredictionResult, Progress, QuizResult, RunStatus,
  StartRun, TraceEvent, WizardAnswer, WizardInput,
} from '../types';

/** Every failure that crosses the door: the lab's own `ApiError` kinds plus `network`. */
export interface LabError {
  kind: string;
  message: string;
}

export type TraceFormat = 'jsonl' | 'har';

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

/** The one interface the UI uses to talk to the lab, whatever carries it. */
export interface Lab {
  /** `tauri` inside the desktop app, `http` in a browser served by `rtc-lab serve`. */
  readonly transport: 'tauri' | 'http';
  listExperiments(): Promise<Catalog>;
  startRun(request: StartRun): Promise<RunStatus>;
  stopRun(): Promise<RunStatus>;
  runStatus(): Promise<RunStatus>;
  traceSince(from: number): Promise<TraceEvent[]>;
  exportTrace(format: TraceFormat): Promise<string>;
  exportPlot(name: PlotName): Promise<string>;
  importTrace(text: string): Promise<RunStatus>;
  /** Saves an export where the user finds it (a browser download, or the Downloads folder
   * of the desktop app, which has no download manager); resolves with a line saying where. */
  saveExport(what: TraceFormat | PlotName): Promise<string>;
  /** The course: lessons as safe HTML and interactive segments, with the learner's progress. */
  course(): Promise<CourseDto>;
  predict(lesson: string, id: string, guess: GuessDto): Promise<PredictionResult>;
  answerQuiz(lesson: string, id: string, choice: number): Promise<QuizResult>;
  startChallenge(lesson: string, id: string, settings: Record<string, number>): Promise<RunStatus>;
  checkChallenge(lesson: string, id: string): Promise<ChallengeResultDto>;
  completeLesson(lesson: string): Promise<Progress>;
  resetProgress(): Promise<Progress>;
  recommend(input: WizardInput): Promise<WizardAnswer>;
  /** Tells the shell the first frame is on screen (the desktop app measures its cold start). */
  firstPaint(): void;
  /** Live messages in order. After a dropped stream is restored, the missed part is
   * delivered as ordinary messages (`reset` when the trace was replaced meanwhile). */
  subscribe(onMessage: (m: LiveMessage) => void, options?: SubscribeOptions): Unsubscribe;
}
