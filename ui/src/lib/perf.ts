/** A bounded record of how long each timeline redraw took (ms), for performance tests. */
export class FrameTimes {
  private readonly times: number[] = [];
  constructor(private readonly limit = 10_000) {}

  record(ms: number): void {
    this.times.push(ms);
    if (this.times.length > this.limit) this.times.splice(0, this.times.length - this.limit);
  }

  all(): number[] {
    return this.times.slice();
  }

  reset(): void {
    this.times.length = 0;
  }
}

export const frameTimes = new FrameTimes();
