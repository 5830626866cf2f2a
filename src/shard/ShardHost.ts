// The worker side of a shard: answers the main thread's requests and pushes events up.
import type { MessagePort } from 'node:worker_threads';
import type { ShardEvent, ShardLoad, ShardRequestMessage, ShardToMainMessage } from './messages.ts';

/** A request handler: its result is posted back; a thrown error becomes a typed error there. */
export type ShardRequestHandler = (params: any) => unknown | Promise<unknown>;

/** Dispatches requests to handlers and posts responses, events and load to the main thread. */
export class ShardHost {
  readonly #port: MessagePort;
  readonly #handlers = new Map<string, ShardRequestHandler>();

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (message: ShardRequestMessage) => {
      if (message?.kind === 'request') void this.#dispatch(message);
    });
  }

  /** Registers the handler of one request method. */
  handle(method: string, handler: ShardRequestHandler): void {
    this.#handlers.set(method, handler);
  }

  /** Tells the main thread the shard is up. */
  ready(): void {
    this.#post({ kind: 'ready' });
  }

  /** Pushes an event up. */
  emitEvent(event: ShardEvent): void {
    this.#post({ kind: 'event', event });
  }

  /** Pushes the shard's load up. */
  reportLoad(load: ShardLoad): void {
    this.#post({ kind: 'load', load });
  }

  async #dispatch(message: ShardRequestMessage): Promise<void> {
    const handler = this.#handlers.get(message.method);
    try {
      if (!handler) throw Object.assign(new Error(`unknown shard method '${message.method}'`), { code: 'ERR_UNSUPPORTED' });
      const result = await handler(message.params);
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
