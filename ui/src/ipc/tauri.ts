import { Channel, invoke } from '@tauri-apps/api/core';
import type { LiveMessage } from '../types';
import { toLabError } from './errors';
import type { Lab, PlotName, SubscribeOptions, TraceFormat, Unsubscribe } from './lab';
import { type Call, type OperationMethods, operationMethods } from './operations';

async function command<T>(name: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(name, args);
  } catch (e) {
    throw toLabError(e);
  }
}

/** Every operation is the one `call` command of the desktop shell. */
const call: Call = (operation, request) => command('call', { operation, request });

// The operations' methods are generated (see `operations.ts`) and mixed in by the constructor.
export interface TauriLab extends OperationMethods {}

/** The lab inside the desktop app: Tauri commands and a channel for the live stream. */
export class TauriLab implements Lab {
  readonly transport = 'tauri' as const;

  constructor() {
    Object.assign(this, operationMethods(call));
  }

  async saveExport(what: TraceFormat | PlotName): Promise<string> {
    const path = await command<string>('save_export', { kind: what });
    return `Saved to ${path}`;
  }
  firstPaint(): void {
    command<number>('first_paint').catch(() => {});
  }
  openInBrowser(): Promise<string> {
    return command<string>('open_in_browser');
  }

  subscribe(onMessage: (m: LiveMessage) => void, options: SubscribeOptions = {}): Unsubscribe {
    let active = true;
    const channel = new Channel<LiveMessage>();
    channel.onmessage = (m) => {
      if (active) onMessage(m);
    };
    options.onState?.({ state: 'connecting' });
    command<void>('subscribe', { channel }).then(
      () => options.onState?.({ state: 'live' }),
      (e: unknown) => options.onError?.(toLabError(e)),
    );
    // The channel lives as long as the window; unsubscribing just stops listening.
    return () => {
      active = false;
    };
  }
}
