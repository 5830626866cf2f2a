// The PCM app leg's main-thread side, with the test playing the shard on the other port.
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MessagePort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { AppLeg, PREFILL_FRAMES } from '../../src/legs/app/AppLeg.ts';
import { InvalidArgumentError, InvalidStateError } from '../../src/errors.ts';

function ramp(length: number, start = 0): Int16Array {
  return Int16Array.from({ length }, (_, i) => start + i);
}

/** Collects `count` messages arriving on the shard's port. */
function receive(port: MessagePort, count: number): Promise<Int16Array[]> {
  return new Promise((resolve) => {
    const frames: Int16Array[] = [];
    port.on('message', (message: { pcm: Int16Array }) => {
      frames.push(message.pcm);
      if (frames.length === count) {
        port.removeAllListeners('message');
        resolve(frames);
      }
    });
  });
}

describe('AppLeg', () => {
  it('refuses a bad rate or option', () => {
    expect(() => new AppLeg({ rate: 44100 })).toThrow(InvalidArgumentError);
    expect(() => new AppLeg({ rate: 16000, maxQueuedFrames: 0 })).toThrow(/maxQueuedFrames/);
  });

  it('cuts writes into frames of one interval at its rate, keeping what was written before the join', async () => {
    const leg = new AppLeg({ rate: 8000 });
    leg.write(ramp(100));
    const port = leg.attach(20);
    expect(leg.frameSamples).toBe(160);
    expect(leg.state).toBe('attached');
    const arriving = receive(port, 3);
    leg.write(ramp(300, 100));
    leg.write(ramp(100, 400));
    const frames = await arriving;
    expect(frames.map((f) => f.length)).toEqual([160, 160, 160]);
    expect(Array.from(frames[0].slice(0, 3))).toEqual([0, 1, 2]);
    expect(frames[2][159]).toBe(479);
    leg.close();
    port.close();
  });

  it('takes 16-bit little-endian Buffers through its writable, across odd chunk boundaries', async () => {
    const leg = new AppLeg({ rate: 8000 });
    const port = leg.attach(10);
    const arriving = receive(port, 1);
    const bytes = Buffer.alloc(160);
    for (let i = 0; i < 80; i++) bytes.writeInt16LE(i * 300 - 12000, i * 2);
    leg.writable.write(bytes.subarray(0, 33));
    leg.writable.write(bytes.subarray(33));
    const [frame] = await arriving;
    expect(Array.from(frame)).toEqual(Array.from({ length: 80 }, (_, i) => i * 300 - 12000));
    leg.close();
    port.close();
  });

  it('delivers what the member hears to an async iterator, in order, and ends when closed', async () => {
    const leg = new AppLeg({ rate: 16000 });
    const port = leg.attach(20);
    for (let i = 0; i < 3; i++) port.postMessage({ pcm: new Int16Array(320).fill(i + 1) });
    const seen: number[] = [];
    for await (const frame of leg) {
      expect(frame.length).toBe(320);
      seen.push(frame[0]);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([1, 2, 3]);
    // Breaking out does not close the leg: the next frame still arrives.
    port.postMessage({ pcm: new Int16Array(320).fill(9) });
    const next = await leg[Symbol.asyncIterator]().next();
    expect(next.value?.[0]).toBe(9);
    const pending = leg[Symbol.asyncIterator]().next();
    leg.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(leg.framesReceived).toBe(4);
    port.close();
  });

  it('delivers the same frames through a Readable stream, which ends after the last one once closed', async () => {
    const leg = new AppLeg({ rate: 8000 });
    const port = leg.attach(20);
    const readable = leg.readable;
    for (let i = 0; i < 5; i++) port.postMessage({ pcm: new Int16Array(160).fill(i) });
    const firsts: number[] = [];
    readable.on('data', (frame: Int16Array) => {
      firsts.push(frame[0]);
      if (firsts.length === 5) leg.close();
    });
    await once(readable, 'end');
    expect(firsts).toEqual([0, 1, 2, 3, 4]);
    port.close();
  });

  it('drops the oldest output frames beyond maxQueuedFrames when nobody reads', async () => {
    const leg = new AppLeg({ rate: 8000, maxQueuedFrames: 3 });
    const port = leg.attach(20);
    for (let i = 0; i < 5; i++) port.postMessage({ pcm: new Int16Array(160).fill(i) });
    port.postMessage({ pcm: new Int16Array(160).fill(99) });
    // Wait for the sixth frame: read the last one through the iterator after the rest queued.
    while (leg.framesReceived < 6) await new Promise((resolve) => setImmediate(resolve));
    expect(leg.droppedFrames).toBe(3);
    const iterator = leg[Symbol.asyncIterator]();
    const firsts = [(await iterator.next()).value[0], (await iterator.next()).value[0], (await iterator.next()).value[0]];
    expect(firsts).toEqual([3, 4, 99]);
    leg.close();
    port.close();
  });

  it('closes when the shard closes its port, and refuses writes and a second join after', async () => {
    const leg = new AppLeg({ rate: 8000 });
    const port = leg.attach(20);
    const closed = once(leg, 'close');
    port.close();
    await closed;
    expect(leg.closed).toBe(true);
    expect(() => leg.write(new Int16Array(10))).toThrow(InvalidStateError);
    expect(() => leg.attach(20)).toThrow(InvalidStateError);
  });

  it('is new again after a join that failed before the shard took the port', () => {
    const leg = new AppLeg({ rate: 8000 });
    leg.attach(20);
    leg.detach();
    expect(leg.state).toBe('new');
    expect(leg.frameSamples).toBe(0);
    const port = leg.attach(40);
    expect(leg.frameSamples).toBe(320);
    leg.close();
    port.close();
  });

  it('keeps at most maxPendingInputMs of input written before the join', async () => {
    const leg = new AppLeg({ rate: 8000, maxPendingInputMs: 40 });
    leg.write(ramp(500));
    expect(leg.droppedInputSamples).toBe(500 - 320);
    const port = leg.attach(20);
    const frames = await receive(port, 2);
    expect(frames[0][0]).toBe(180);
    leg.close();
    port.close();
  });

  it('sends in real time: three frames ahead, then one for each frame heard', async () => {
    const leg = new AppLeg({ rate: 8000 });
    const port = leg.attach(20);
    const first = receive(port, PREFILL_FRAMES);
    leg.write(ramp(160 * 10));
    expect(leg.pendingInputSamples).toBe(160 * (10 - PREFILL_FRAMES));
    expect((await first).map((f) => f[0])).toEqual([0, 160, 320]);
    const fourth = receive(port, 1);
    port.postMessage({ pcm: new Int16Array(160) });
    await leg[Symbol.asyncIterator]().next();
    expect(leg.pendingInputSamples).toBe(160 * 6);
    expect((await fourth)[0][0]).toBe(480);
    leg.close();
    port.close();
  });

  it('plays a piped stream at the pace of the shard, losing nothing, where write() would drop what runs ahead', async () => {
    const leg = new AppLeg({ rate: 8000, maxPendingInputMs: 40 });
    const port = leg.attach(20);
    const frames: Int16Array[] = [];
    // The shard: every frame it takes is one tick, after which it sends the member's output.
    port.on('message', (message: { pcm: Int16Array }) => {
      frames.push(message.pcm);
      port.postMessage({ pcm: new Int16Array(160) });
    });
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.from(ramp(160, i * 160).buffer));
    await pipeline(Readable.from(chunks), leg.writable);
    while (frames.length < 20) await once(port, 'message');
    expect(frames.map((f) => f[0])).toEqual(Array.from({ length: 20 }, (_, i) => i * 160));
    expect(leg.droppedInputSamples).toBe(0);

    const burst = new AppLeg({ rate: 8000, maxPendingInputMs: 40 });
    const burstPort = burst.attach(20);
    burst.write(ramp(160 * 20));
    expect(burst.droppedInputSamples).toBe(160 * (20 - PREFILL_FRAMES - 2));
    for (const l of [leg, burst]) l.close();
    port.close();
    burstPort.close();
  });
});
