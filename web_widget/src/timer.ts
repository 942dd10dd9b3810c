/** The answer timer: counts down the question's remaining time from the server's clock reading. */

import type { QuestionClock } from "./api";

export function formatSeconds(total: number): string {
  const s = Math.max(0, Math.ceil(total));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class AnswerTimer {
  private interval: number | undefined;
  private endsAt = 0;

  /** ``tick`` gets the seconds left (null: no limit) every second; ``expired`` runs once at zero. */
  constructor(private readonly tick: (left: number | null) => void, private readonly expired: () => void) {}

  start(clock: QuestionClock): void {
    this.stop();
    if (clock.remaining_s === null) {
      this.tick(null);
      return;
    }
    this.endsAt = performance.now() + clock.remaining_s * 1000;
    this.tick(clock.remaining_s);
    if (clock.paused) return;
    this.interval = window.setInterval(() => {
      const left = (this.endsAt - performance.now()) / 1000;
      this.tick(Math.max(0, left));
      if (left <= 0) {
        this.stop();
        this.expired();
      }
    }, 1000);
  }

  stop(): void {
    window.clearInterval(this.interval);
    this.interval = undefined;
  }
}
