import type { LabError } from './lab';

function isLabError(x: unknown): x is LabError {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { kind?: unknown }).kind === 'string' &&
    typeof (x as { message?: unknown }).message === 'string'
  );
}

/** Normalises anything thrown or rejected into `{kind, message}`. */
export function toLabError(x: unknown, fallbackKind = 'internal'): LabError {
  if (isLabError(x)) return { kind: x.kind, message: x.message };
  if (typeof x === 'string') {
    // Tauri rejects with the command's error serialised; it may arrive as JSON text.
    try {
      const parsed: unknown = JSON.parse(x);
      if (isLabError(parsed)) return { kind: parsed.kind, message: parsed.message };
    } catch {
      /* plain text */
    }
    return { kind: fallbackKind, message: x };
  }
  if (x instanceof Error) return { kind: fallbackKind, message: x.message };
  return { kind: fallbackKind, message: String(x) };
}

const STATUS_KINDS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'bad_request',
};

/** The error of a failed HTTP answer: the lab's JSON body when there is one. */
export function httpError(status: number, statusText: string, body: string): LabError {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isLabError(parsed)) return { kind: parsed.kind, message: parsed.message };
  } catch {
    /* not JSON */
  }
  const kind = STATUS_KINDS[status] ?? (status >= 500 ? 'internal' : 'bad_request');
  const text = body.trim() || statusText || 'no details';
  return { kind, message: `HTTP ${status}: ${text}` };
}

/** A sentence telling the user what to do about an error, when there is something to do. */
export function errorHint(e: LabError): string | null {
  switch (e.kind) {
    case 'unauthorized':
      return 'Open the address printed by `rtc-lab serve` — it carries the access token (?token=…).';
    case 'forbidden':
      return 'The lab only accepts this page from its own address.';
    case 'network':
      return 'Is `rtc-lab serve` still running?';
    case 'conflict':
      return 'A run is already in progress: stop it first or wait for it to finish.';
    default:
      return null;
  }
}
