export type Action =
  | 'play-pause'
  | 'step-forward'
  | 'step-back'
  | 'pan-left'
  | 'pan-right'
  | 'zoom-in'
  | 'zoom-out'
  | 'fit'
  | 'follow'
  | 'search'
  | 'help'
  | 'escape'
  | 'next-hit'
  | 'prev-hit';

export interface KeyInput {
  key: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Focus is in a text field, select or other control that uses the keys itself. */
  inField: boolean;
  /** Focus is on the timeline canvas, where arrows pan. */
  onCanvas: boolean;
}

/** The action a key press asks for, or null to leave the key alone. */
export function actionFor(k: KeyInput): Action | null {
  if (k.key === 'Escape') return 'escape';
  if (k.ctrlKey || k.metaKey || k.altKey) return null;
  if (k.inField) return null;
  switch (k.key) {
    case ' ':
      return 'play-pause';
    case 'ArrowRight':
      return k.shiftKey || k.onCanvas ? 'pan-right' : 'step-forward';
    case 'ArrowLeft':
      return k.shiftKey || k.onCanvas ? 'pan-left' : 'step-back';
    case '+':
    case '=':
      return 'zoom-in';
    case '-':
    case '_':
      return 'zoom-out';
    case '0':
      return 'fit';
    case 'f':
    case 'F':
      return 'follow';
    case '/':
      return 'search';
    case '?':
      return 'help';
    case 'n':
      return 'next-hit';
    case 'N':
      return 'prev-hit';
    default:
      return null;
  }
}

export const SHORTCUTS: readonly { keys: string; what: string }[] = [
  { keys: 'Space', what: 'Play / pause the replay (pauses a live view)' },
  { keys: '→  /  ←', what: 'Step to the next / previous event (shown events only)' },
  { keys: 'Shift + → / ←', what: 'Pan the timeline (plain arrows pan when the timeline has focus)' },
  { keys: '+  /  −', what: 'Zoom in / out (or the mouse wheel, or pinch)' },
  { keys: 'drag', what: 'Pan the timeline with the mouse' },
  { keys: '0', what: 'Fit all shown events' },
  { keys: 'f', what: 'Follow live: keep the newest events in view' },
  { keys: '/', what: 'Search event summaries' },
  { keys: 'n  /  Shift + n', what: 'Next / previous search hit' },
  { keys: '↑  /  ↓', what: 'Move through the event list (when it has focus)' },
  { keys: '?', what: 'Show this help' },
  { keys: 'Esc', what: 'Close help, leave step mode, clear the selection' },
];
