// Callback delivery, as the Conference API describes it: each event of a conference goes to its
// callbackUrl (POST with a JSON body, or GET with the same fields as query parameters), waiting
// at most callbackTimeout ms; when that fails (connection error, timeout, non-2xx) the same event
// goes once to fallbackUrl. No retry beyond that.
//
// Each conference has its own queue, delivered one event at a time, so its events arrive in
// order; conferences do not wait for each other. A queue holds at most `queueLimit` events: when
// a new one would overflow it, the oldest waiting event is dropped and counted, so a dead URL
// costs a bounded amount of memory and the latest state (the `completed` event) still goes out.
// Nothing here runs on the media path, and the API never waits for a delivery.
import { Agent, request } from 'undici';
import type { Logger } from 'pino';
import type { CallbackSettings } from '../index.ts';

/** The default callbackTimeout, ms, when a conference names none. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 5000;

/** How a delivery ended. */
export type DeliveryResult = 'delivered' | 'fallback' | 'failed' | 'dropped';

/** One event waiting for delivery. */
export interface CallbackJob {
  /** The conference it belongs to (its queue). */
  conferenceId: string;
  /** Where and how. */
  callback: CallbackSettings;
  /** The payload, as sent. */
  payload: Record<string, unknown>;
  /** Resolves with how it ended. */
  done?: (result: DeliveryResult) => void;
}

/** What the dispatcher reports (for metrics). */
export interface CallbackObserver {
  /** One event's delivery ended, after `seconds` in flight. */
  delivery(result: DeliveryResult, seconds: number): void;
}

/** Delivers callback events, ordered per conference, through undici. */
export class CallbackDispatcher {
  readonly #queues = new Map<string, CallbackJob[]>();
  readonly #running = new Set<string>();
  readonly #agent = new Agent({ keepAliveTimeout: 10_000, connections: 64, pipelining: 1 });
  readonly #queueLimit: number;
  readonly #log: Logger;
  readonly #observer: CallbackObserver;
  readonly #idle = new Set<() => void>();

  constructor(options: { queueLimit: number; log: Logger; observer: CallbackObserver }) {
    this.#queueLimit = options.queueLimit;
    this.#log = options.log;
    this.#observer = options.observer;
  }

  /** Events waiting or in flight, over every conference. */
  get pending(): number {
    let n = this.#running.size;
    for (const queue of this.#queues.values()) n += queue.length;
    return n;
  }

  /** Queues an event; returns at once. */
  enqueue(job: CallbackJob): void {
    let queue = this.#queues.get(job.conferenceId);
    if (!queue) this.#queues.set(job.conferenceId, (queue = []));
    queue.push(job);
    if (queue.length > this.#queueLimit) {
      const dropped = queue.shift()!;
      this.#observer.delivery('dropped', 0);
      this.#log.warn({ conferenceId: dropped.conferenceId, eventType: dropped.payload.eventType, queueLimit: this.#queueLimit }, 'callback queue full: oldest event dropped');
      dropped.done?.('dropped');
    }
    if (!this.#running.has(job.conferenceId)) void this.#drain(job.conferenceId);
  }

  /** Resolves once every queue is empty, or after `timeoutMs`; true when empty. */
  async settle(timeoutMs: number): Promise<boolean> {
    if (this.pending === 0) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idle.delete(done);
        resolve(false);
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#idle.delete(done);
        resolve(true);
      };
      this.#idle.add(done);
    });
  }

  /** Closes the connections, aborting deliveries still in flight; what is queued is dropped and counted. */
  async close(): Promise<void> {
    for (const queue of this.#queues.values()) {
      for (const job of queue.splice(0)) {
        this.#observer.delivery('dropped', 0);
        job.done?.('dropped');
      }
    }
    await this.#agent.destroy();
  }

  async #drain(conferenceId: string): Promise<void> {
    this.#running.add(conferenceId);
    const queue = this.#queues.get(conferenceId)!;
    while (queue.length > 0) {
      const job = queue.shift()!;
      const started = performance.now();
      const result = await this.#deliver(job);
      this.#observer.delivery(result, (performance.now() - started) / 1000);
      job.done?.(result);
    }
    this.#queues.delete(conferenceId);
    this.#running.delete(conferenceId);
    if (this.pending === 0) for (const resolve of [...this.#idle]) resolve();
  }

  async #deliver(job: CallbackJob): Promise<DeliveryResult> {
    const { callback, payload } = job;
    const context = { conferenceId: job.conferenceId, memberId: payload.memberId, eventType: payload.eventType };
    const first = await this.#send(callback.callbackUrl!, callback, payload);
    if (first === null) {
      this.#log.info({ ...context, url: callback.callbackUrl, result: 'delivered' }, 'callback delivered');
      return 'delivered';
    }
    if (callback.fallbackUrl === undefined) {
      this.#log.warn({ ...context, url: callback.callbackUrl, error: first, result: 'failed' }, 'callback failed');
      return 'failed';
    }
    const second = await this.#send(callback.fallbackUrl, callback, payload);
    if (second === null) {
      this.#log.info({ ...context, url: callback.fallbackUrl, callbackError: first, result: 'fallback' }, 'callback delivered to the fallback URL');
      return 'fallback';
    }
    this.#log.warn({ ...context, url: callback.fallbackUrl, callbackError: first, error: second, result: 'failed' }, 'callback and fallback failed');
    return 'failed';
  }

  /** One request; null when answered 2xx, else why not. */
  async #send(url: string, callback: CallbackSettings, payload: Record<string, unknown>): Promise<string | null> {
    const timeoutMs = callback.callbackTimeout ?? DEFAULT_CALLBACK_TIMEOUT_MS;
    try {
      const options = { dispatcher: this.#agent, signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs };
      let answer;
      if (callback.callbackHttpMethod === 'GET') {
        const target = new URL(url);
        for (const [key, value] of Object.entries(payload)) target.searchParams.set(key, String(value));
        answer = await request(target, { ...options, method: 'GET' });
      } else {
        answer = await request(url, { ...options, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      }
      await answer.body.dump();
      return answer.statusCode >= 200 && answer.statusCode < 300 ? null : `status ${answer.statusCode}`;
    } catch (error) {
      const e = error as Error & { code?: string };
      if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') return `timeout after ${timeoutMs} ms`;
      return e.code ?? e.message;
    }
  }
}
