// Messages between the HTTP benchmark and its server process.

/** The benchmark's one user. */
export interface BenchUser {
  userId: string;
  token: string;
  secret: string;
}

/** To the server process. */
export type ToServer = { type: 'events'; conferenceIds: string[]; seconds: number } | { type: 'cpu' } | { type: 'close' };

/** From the server process. */
export type FromServer =
  | { type: 'ready'; url: string }
  /** The server process's CPU time so far (user + system, every thread), and its main thread's busy time, µs. */
  | { type: 'cpu'; cpuUs: number; mainBusyUs: number }
  | { type: 'events-done'; changes: number; seconds: number; tickLatenessP99Ms: number; tickLatenessMaxMs: number; overruns: number };
