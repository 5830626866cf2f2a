// An event log for a media thread's events: keeps them and resolves waiters when one matches.
import type { MediaEvent } from '../../src/native/testing/media.ts';

/** Collects a thread's events and resolves waiters when one matches. */
export class EventLog {
  readonly events: MediaEvent[] = [];
  private waiters: Array<{ match: (event: MediaEvent) => boolean; resolve: (event: MediaEvent) => void }> = [];

  readonly push = (batch: MediaEvent[]): void => {
    for (const event of batch) {
      this.events.push(event);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(event)) return true;
        waiter.resolve(event);
        return false;
      });
    }
  };

  /** The first event (already seen or still to come) that matches. */
  waitFor(match: (event: MediaEvent) => boolean): Promise<MediaEvent> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }
}
