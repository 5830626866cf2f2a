// An engine over the fake shard, with every callback payload recorded.
import { once } from 'node:events';
import type { EventEmitter } from 'node:events';
import { Engine } from '../../src/engine/Engine.ts';
import type { EngineOptions } from '../../src/engine/EngineTypes.ts';
import type { CallbackEventPayload } from '../../src/engine/events.ts';
import { FakePool } from './fakeShard.ts';
import type { FakeShard } from './fakeShard.ts';

export interface TestEngine {
  engine: Engine;
  pool: FakePool;
  shard: FakeShard;
  /** Every payload of the engine's event stream, in order. */
  events: CallbackEventPayload[];
  /** The payloads of one eventType. */
  eventsOf<T extends CallbackEventPayload['eventType']>(type: T): Array<Extract<CallbackEventPayload, { eventType: T }>>;
}

export function makeEngine(options: EngineOptions = {}): TestEngine {
  const pool = new FakePool();
  const engine = Engine.createWithPool(pool, options);
  const events: CallbackEventPayload[] = [];
  engine.on('event', ({ payload }) => events.push(payload));
  return {
    engine,
    pool,
    shard: pool.shard,
    events,
    eventsOf: (type) => events.filter((e) => e.eventType === type) as never,
  };
}

/** The arguments of the next `name` event. */
export async function next<T = unknown>(emitter: EventEmitter, name: string): Promise<T> {
  const [value] = await once(emitter, name);
  return value as T;
}

/** Resolves with the first `name` event whose argument passes `test`. */
export function nextMatching<T>(emitter: EventEmitter, name: string, test: (value: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T): void => {
      if (!test(value)) return;
      emitter.off(name, listener);
      resolve(value);
    };
    emitter.on(name, listener);
  });
}
