/// <reference types="svelte" />
/// <reference types="vite/client" />

interface RtcLabProbe {
  /** Duration (ms) of each timeline canvas redraw since the last reset. */
  frameTimes(): number[];
  resetFrameTimes(): void;
  /** Events the page holds. */
  eventCount(): number;
}

interface Window {
  __rtclab?: RtcLabProbe;
}
