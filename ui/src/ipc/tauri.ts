import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  Catalog, ChallengeResultDto, CourseDto, GuessDto, LiveMessage, PredictionResult, Progress, QuizResult, RunStatus,
  StartRun, TraceEvent, WizardAnswer, WizardInput,
} from '../types';
import { toLabError } from './errors';
import type { Lab, PlotName, SubscribeOptions, TraceFormat, Unsubscribe } from './lab';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toLabError(e);
  }
}

/** The lab inside the desktop app: Tauri commands and a channel for the live stream. */
export class TauriLab implements Lab {
  readonly transport = 'tauri' as const;

  listExperiments(): Promise<Catalog> {
    return call('list_experiments');
  }
  startRun(request: StartRun): Promise<RunStatus> {
    return call('start_run', { request });
  }
  stopRun(): Promise<RunStatus> {
    return call('stop_run');
  }
  runStatus(): Promise<RunStatus> {
    return call('run_status');
  }
  traceSince(from: number): Promise<TraceEvent[]> {
    return call('trace_since', { from: Math.max(0, Math.floor(from)) });
  }
  exportTrace(format: TraceFormat): Promise<string> {
    return call('export_trace', { format });
  }
  exportPlot(name: PlotName): Promise<string> {
    return call('export_plot', { name });
  }
  importTrace(text: string): Promise<RunStatus> {
    return call('import_trace', { text });
  }
  async saveExport(what: TraceFormat | PlotName): Promise<string> {
    const path = await call<string>('save_export', { kind: what });
    return `Saved to ${path}`;
  }
  course(): Promise<CourseDto> {
    return call('course');
  }
  predict(lesson: string, id: string, guess: GuessDto): Promise<PredictionResult> {
    return call('predict', { lesson, id, guess });
  }
  answerQuiz(lesson: string, id: string, choice: number): Promise<QuizResult> {
    return call('answer_quiz', { lesson, id, choice });
  }
  startChallenge(lesson: string, id: string, settings: Record<string, number>): Promise<RunStatus> {
    return call('start_challenge', { lesson, id, settings });
  }
  checkChallenge(lesson: string, id: string): Promise<ChallengeResultDto> {
    return call('check_challenge', { lesson, id });
  }
  completeLesson(lesson: string): Promise<Progress> {
    return call('complete_lesson', { lesson });
  }
  resetProgress(): Promise<Progress> {
    return call('reset_progress');
  }
  recommend(input: WizardInput): Promise<WizardAnswer> {
    return call('recommend', { input });
  }
  firstPaint(): void {
    call<number>('first_paint').catch(() => {});
  }

  subscribe(onMessage: (m: LiveMessage) => void, options: SubscribeOptions = {}): Unsubscribe {
    let active = true;
    const channel = new Channel<LiveMessage>();
    channel.onmessage = (m) => {
      if (active) onMessage(m);
    };
    options.onState?.({ state: 'connecting' });
    call<void>('subscribe', { channel }).then(
      () => options.onState?.({ state: 'live' }),
      (e: unknown) => options.onError?.(toLabError(e)),
    );
    // The channel lives as long as the window; unsubscribing just stops listening.
    return () => {
      active = false;
    };
  }
}
