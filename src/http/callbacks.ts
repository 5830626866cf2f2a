// Callback delivery, as the Conference API describes it: each event of a conference goes to its
// callbackUrl (POST with a JSON body, or GET with the same fields as query parameters), waiting
// at most callbackTimeout ms; when that fails (connection error, timeout, non-2xx) the same event
// goes once to fallbackUrl. No retry beyond that.
//
// Order: each conference has its own queue with at most one event in flight, so its events
// arrive in order; conferences deliver concurrently and never wait for each other. Connections:
// one undici Agent keeps a keep-alive pool per origin (up to CONNECTIONS_PER_ORIGIN sockets).
// Pipelining stays off: a pipelined connection answers in order, so a slow conference would hold
// the answers of every other conference sharing its socket. Drops: a queue holds at most
// `queueLimit` events; when a new one would overflow it, the oldest waiting event is dropped and
// counted, so a dead URL costs a bounded amount of memory and the latest state (the `completed`
// event) still goes out. Nothing here runs on the media path, and the API never waits for a
// delivery.
import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { CallbackSettings } from '../index.ts';

/** The default callbackTimeout, ms, when a conference names none. */
export const DEFAULT_CALLBACK_TIMEOUT_MS = 5000;
/** Sockets kept per callback origin: one per conference in flight, up to this many. */
export const CONNECTIONS_PER_ORIGIN = 128;
/** How long an idle keep-alive socket stays open, ms. */
const KEEP_ALIVE_MS = 10_000;
/** Parsed callback URLs remembered (most deployments use a handful). */
const URL_CACHE_LIMIT = 1024;
const JSON_HEADERS = { 'content-type': 'application/json' };

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

/** A callback URL split once for undici: its origin (the pool) and its path with query. */
interface Target {
  origin: string;
  path: string;
  /** The URL's own query, so GET parameters join it with '&'. */
  hasQuery: boolean;
}

/** One conference's waiting events: an array read from `head`, compacted now and then. */
class ConferenceQueue {
  jobs: CallbackJob[] = [];
  head = 0;
  /** An event of this conference is in flight. */
  running = false;

  get length(): number {
    return this.jobs.length - this.head;
  }

  push(job: CallbackJob): void {
    this.jobs.push(job);
  }

  shift(): CallbackJob | undefined {
    if (this.head === this.jobs.length) return undefined;
    const job = this.jobs[this.head];
    this.jobs[this.head++] = undefined as unknown as CallbackJob;
    if (this.head === this.jobs.length) {
      this.jobs = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.jobs.length) {
      this.jobs = this.jobs.slice(this.head);
      this.head = 0;
    }
    return job;
  }
}

/** Delivers callback events, ordered per conference, through undici. */
export class CallbackDispatcher {
  readonly #queues = new Map<string, ConferenceQueue>();
  readonly #agent = new Agent({ keepAliveTimeout: KEEP_ALIVE_MS, connections: CONNECTIONS_PER_ORIGIN, pipelining: 1 });
  readonly #targets = new Map<string, Target>();
  readonly #queueLimit: number;
  readonly #log: Logger;
  readonly #observer: CallbackObserver;
  readonly #idle = new Set<() => void>();
  /** Events waiting or in flight, over every conference. */
  #pending = 0;

  constructor(options: { queueLimit: number; log: Logger; observer: CallbackObserver }) {
    this.#queueLimit = options.queueLimit;
    this.#log = options.log;
    this.#observer = options.observer;
  }

  /** Events waiting or in flight, over every conference. */
  get pending(): number {
    return this.#pending;
  }

  /** Queues an event; returns at once. */
  enqueue(job: CallbackJob): void {
    let queue = this.#queues.get(job.conferenceId);
    if (!queue) this.#queues.set(job.conferenceId, (queue = new ConferenceQueue()));
    queue.push(job);
    this.#pending++;
    if (queue.length > this.#queueLimit) {
      const dropped = queue.shift()!;
      this.#pending--;
      this.#observer.delivery('dropped', 0);
      this.#log.warn({ conferenceId: dropped.conferenceId, eventType: dropped.payload.eventType, queueLimit: this.#queueLimit }, 'callback queue full: oldest event dropped');
      dropped.done?.('dropped');
    }
    if (!queue.running) void this.#drain(job.conferenceId, queue);
  }

  /** Resolves once every queue is empty, or after `timeoutMs`; true when empty. */
  async settle(timeoutMs: number): Promise<boolean> {
    if (this.#pending === 0) return true;
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
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        this.#pending--;
        this.#observer.delivery('dropped', 0);
        job.done?.('dropped');
      }
    }
    await this.#agent.destroy();
  }

  async #drain(conferenceId: string, queue: ConferenceQueue): Promise<void> {
    queue.running = true;
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      const started = performance.now();
      const result = await this.#deliver(job);
      this.#pending--;
      this.#observer.delivery(result, (performance.now() - started) / 1000);
      job.done?.(result);
    }
    queue.running = false;
    this.#queues.delete(conferenceId);
    if (this.#pending === 0) for (const resolve of [...this.#idle]) resolve();
  }

  async #deliver(job: CallbackJob): Promise<DeliveryResult> {
    const { callback, payload } = job;
    // One body (or query) for the callback and its fallback.
    const body = callback.callbackHttpMethod === 'GET' ? queryOf(payload) : JSON.stringify(payload);
    const first = await this.#send(callback.callbackUrl!, callback, body);
    if (first === null) {
      this.#log.info({ conferenceId: job.conferenceId, memberId: payload.memberId, eventType: payload.eventType, url: callback.callbackUrl, result: 'delivered' }, 'callback delivered');
      return 'delivered';
    }
    const context = { conferenceId: job.conferenceId, memberId: payload.memberId, eventType: payload.eventType };
    if (callback.fallbackUrl === undefined) {
      this.#log.warn({ ...context, url: callback.callbackUrl, error: first, result: 'failed' }, 'callback failed');
      return 'failed';
    }
    const second = await this.#send(callback.fallbackUrl, callback, body);
    if (second === null) {
      this.#log.info({ ...context, url: callback.fallbackUrl, callbackError: first, result: 'fallback' }, 'callback delivered to the fallback URL');
      return 'fallback';
    }
    this.#log.warn({ ...context, url: callback.fallbackUrl, callbackError: first, error: second, result: 'failed' }, 'callback and fallback failed');
    return 'failed';
  }

  /** The origin and path of a callback URL, parsed once. */
  #target(url: string): Target {
    let target = this.#targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}`, hasQuery: parsed.search.length > 1 };
      if (this.#targets.size >= URL_CACHE_LIMIT) this.#targets.clear();
      this.#targets.set(url, target);
    }
    return target;
  }

  /** One request, through the origin's pool; resolves null when answered 2xx, else why not. */
  #send(url: string, callback: CallbackSettings, body: string): Promise<string | null> {
    const timeoutMs = callback.callbackTimeout ?? DEFAULT_CALLBACK_TIMEOUT_MS;
    let target: Target;
    try {
      target = this.#target(url);
    } catch {
      return Promise.resolve('invalid URL');
    }
    const options: Dispatcher.DispatchOptions =
      callback.callbackHttpMethod === 'GET'
        ? { origin: target.origin, path: body === '' ? target.path : `${target.path}${target.hasQuery ? '&' : '?'}${body}`, method: 'GET' }
        : { origin: target.origin, path: target.path, method: 'POST', headers: JSON_HEADERS, body };
    return new Promise((resolve) => {
      const exchange = new Exchange(resolve, timeoutMs);
      try {
        this.#agent.dispatch(options, exchange);
      } catch (error) {
        exchange.onResponseError(undefined, error as Error);
      }
    });
  }
}

/** The payload's fields as a query string (values as strings, undefined left out). */
function queryOf(payload: Record<string, unknown>): string {
  let query = '';
  for (const key in payload) {
    const value = payload[key];
    if (value === undefined) continue;
    if (query !== '') query += '&';
    query += `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return query;
}

/** The timeout's reason, told apart from the peer's errors. */
class CallbackTimeout extends Error {}

/**
 * One request's handler: settles once, with null for a 2xx answer or the reason it failed. The
 * timeout covers the whole exchange, also the wait for a free socket of the pool (then the
 * request is aborted the moment it reaches one).
 */
class Exchange implements Dispatcher.DispatchHandler {
  #resolve: ((reason: string | null) => void) | undefined;
  #status = 0;
  #controller: Dispatcher.DispatchController | undefined;
  #timedOut = false;
  readonly #timer: NodeJS.Timeout;
  readonly #timeoutMs: number;

  constructor(resolve: (reason: string | null) => void, timeoutMs: number) {
    this.#resolve = resolve;
    this.#timeoutMs = timeoutMs;
    this.#timer = setTimeout(() => this.#timeout(), timeoutMs);
  }

  /** The request reached a socket. */
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#timedOut) controller.abort(new CallbackTimeout());
  }

  /** The answer's status line. */
  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#status = statusCode;
  }

  /** Answer bodies are read and ignored. */
  onResponseData(): void {}

  /** The exchange is complete. */
  onResponseEnd(): void {
    this.#settle(this.#status >= 200 && this.#status < 300 ? null : `status ${this.#status}`);
  }

  /** The exchange failed (connection error, or aborted at the timeout). */
  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    const e = error as Error & { code?: string };
    this.#settle(error instanceof CallbackTimeout ? `timeout after ${this.#timeoutMs} ms` : (e.code ?? e.message));
  }

  #timeout(): void {
    this.#timedOut = true;
    this.#settle(`timeout after ${this.#timeoutMs} ms`);
    this.#controller?.abort(new CallbackTimeout());
  }

  #settle(reason: string | null): void {
    const resolve = this.#resolve;
    if (resolve === undefined) return;
    this.#resolve = undefined;
    clearTimeout(this.#timer);
    resolve(reason);
  }
}
