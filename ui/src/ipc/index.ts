// The one door between the UI and the lab. Nothing else in the UI knows whether it runs
// inside the desktop app or in a browser.
import { HttpLab } from './http';
import type { Lab } from './lab';
import { TauriLab } from './tauri';
import { resolveToken, withoutToken } from './token';

export type { Lab, LabError, LiveState, PlotName, SubscribeOptions, TraceFormat, Unsubscribe } from './lab';
export { PLOT_NAMES } from './lab';
export { errorHint, toLabError } from './errors';

function insideTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

function sessionStore(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function createLab(): Lab {
  if (insideTauri()) return new TauriLab();
  const token = resolveToken(location.search, sessionStore());
  if (new URLSearchParams(location.search).has('token')) {
    // Kept in this tab's session storage; the address bar need not show it.
    history.replaceState(history.state, '', withoutToken(location.href));
  }
  return new HttpLab(token);
}
