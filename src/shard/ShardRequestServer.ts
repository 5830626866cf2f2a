// The worker side of a shard: answers the main thread's requests with handlers typed by the
// protocol's map, and pushes events and load up.
import type { MessagePort } from 'node:worker_threads';
import type { ShardHandlers } from './conferenceProtocol.ts';
import type { ShardEvent, ShardLoad, ShardRequestMessage, ShardToMainMessage } from './messages.ts';

/** Dispatches requests to handlers and posts responses, events and load to the main thread. */
export class ShardRequestServer {
  readonly #port: MessagePort;
  #handlers: Partial<ShardHandlers> = {};

  /** Serves requests arriving on `port` (the worker's parentPort). */
  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (message: ShardRequestMessage) => {
      if (message?.kind === 'request') void this.#dispatch(message);
    });
  }

  /** Registers handlers, each checked against the protocol's map. */
  serve(handlers: Partial<ShardHandlers>): void {
    this.#handlers = { ...this.#handlers, ...handlers };
  }

  /** Tells the main thread the shard is up. */
  ready(): void {
    this.#post({ kind: 'ready' });
  }

  /** Pushes events up, in order, in one message. */
  emitEvents(events: ShardEvent[]): void {
    this.#post({ kind: 'events', events });
  }

  /** Pushes the shard's load up. */
  reportLoad(load: ShardLoad): void {
    this.#post({ kind: 'load', load });
  }

  async #dispatch(message: ShardRequestMessage): Promise<void> {
    const handler = Object.hasOwn(this.#handlers, message.method) ? (this.#handlers[message.method] as (params: unknown) => unknown) : undefined;
    try {
      if (!handler) throw Object.assign(new Error(`unknown shard method '${message.method}'`), { code: 'ERR_UNSUPPORTED' });
      const result = await handler(message.params ?? {});
      this.#post({ kind: 'response', id: message.id, ok: true, result });
    } catch (error) {
      const err = error as { code?: unknown; message?: unknown };
      this.#post({
        kind: 'response',
        id: message.id,
        ok: false,
        error: {
          code: typeof err?.code === 'string' ? err.code : 'ERR_INTERNAL',
          message: typeof err?.message === 'string' ? err.message : String(error),
        },
      });
    }
  }

  #post(message: ShardToMainMessage): void {
    this.#port.postMessage(message);
  }
}
