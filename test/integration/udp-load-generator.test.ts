// The native load generator on loopback: members on shared sockets, streams with their own
// payload loop, clock and interval, exact per-member counts both ways, attribution of what comes
// back by source address, and a round trip through the media thread's UDP legs. Every run is
// bounded by a round count.
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadGenerator, MediaThread, type LoadGeneratorOptions, type LoadGeneratorStats } from '../../src/native/testing/media.ts';
import { workerPoolStats } from '../../src/native/testing/mediaConference.ts';
import { codeOf } from '../helpers/errors.ts';

const ADDRESS = '127.0.0.1';
const SSRC_BASE = 0x10000000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function boundSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  await new Promise<void>((resolve) => socket.bind(0, ADDRESS, () => resolve()));
  return socket;
}

/** A generator whose onDone resolves `finished`. */
function finiteGenerator(options: Omit<LoadGeneratorOptions, 'onDone'>): { generator: LoadGenerator; finished: Promise<LoadGeneratorStats> } {
  let done!: (stats: LoadGeneratorStats) => void;
  const finished = new Promise<LoadGeneratorStats>((resolve) => (done = resolve));
  const generator = new LoadGenerator({ ...options, onDone: (stats) => done(stats) });
  cleanups.push(() => generator.stop());
  return { generator, finished };
}

/** A payload of `size` bytes, each `value`. */
const frame = (value: number, size: number): Uint8Array => new Uint8Array(size).fill(value);

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('load generator', () => {
  it('sends each stream its own payload loop, clock and interval, with exact counts per member', async () => {
    const receiver = await boundSocket();
    const expected = 2 * 6 + 2 * 3;
    const received: Array<{ packet: Buffer; port: number }> = [];
    const allArrived = new Promise<void>((resolve) =>
      receiver.on('message', (packet, from) => {
        received.push({ packet, port: from.port });
        if (received.length === expected) resolve();
      }),
    );
    const talkLoop = [frame(1, 160), frame(2, 160), frame(3, 160)];
    const dtxLoop = [frame(0xa0, 1), frame(0xb0, 3)];
    const { generator, finished } = finiteGenerator({
      sockets: 2,
      rounds: 6,
      drainMs: 0,
      streams: [
        { members: 2, payloadType: 8, clockRate: 8000, intervalMs: 20, frames: talkLoop },
        { members: 2, payloadType: 111, clockRate: 48000, intervalMs: 40, frames: dtxLoop, firstFrame: 1 },
      ],
    });
    // Four members on two shared sockets: member i sends from socket i % 2.
    const ports = generator.ports();
    expect(ports).toHaveLength(4);
    expect(ports[2]).toBe(ports[0]);
    expect(ports[3]).toBe(ports[1]);
    expect(ports[1]).not.toBe(ports[0]);
    generator.start(ports.map(() => ({ address: ADDRESS, port: receiver.address().port })));
    const stats = await finished;
    await allArrived;

    expect(stats).toMatchObject({ running: false, members: 4, sockets: 2, ticks: 6, sent: expected, sendFailed: 0, partialSends: 0 });
    // A 40 ms stream sends half as many as a 20 ms one.
    expect(Array.from(generator.sent())).toEqual([6, 6, 3, 3]);
    expect(Array.from(generator.sent(2, 2))).toEqual([3, 3]);

    const bySsrc = new Map<number, Array<{ pt: number; seq: number; ts: number; payload: number[]; port: number }>>();
    for (const { packet, port } of received) {
      expect(packet[0]).toBe(0x80);
      const ssrc = packet.readUInt32BE(8);
      const list = bySsrc.get(ssrc) ?? [];
      list.push({ pt: packet[1], seq: packet.readUInt16BE(2), ts: packet.readUInt32BE(4), payload: [...packet.subarray(12)], port });
      bySsrc.set(ssrc, list);
    }
    expect([...bySsrc.keys()].sort()).toEqual([0, 1, 2, 3].map((i) => SSRC_BASE + i));
    for (const member of [0, 1]) {
      // The 20 ms stream: its loop from frame 0, in order, 160 timestamp units apart.
      expect(bySsrc.get(SSRC_BASE + member)).toEqual(
        [0, 1, 2, 3, 4, 5].map((k) => ({ pt: 8, seq: k, ts: k * 160, payload: [...talkLoop[k % 3]], port: ports[member] })),
      );
    }
    for (const member of [2, 3]) {
      // The 40 ms stream: its loop from frame 1, 1920 units (40 ms at 48 kHz) apart.
      expect(bySsrc.get(SSRC_BASE + member)).toEqual(
        [0, 1, 2].map((k) => ({ pt: 111, seq: k, ts: k * 1920, payload: [...dtxLoop[(1 + k) % 2]], port: ports[member] })),
      );
    }
  });

  it('counts what comes back for the member whose target sent it, and strangers apart', async () => {
    // Two engine-side sockets echo every datagram to its source.
    const engineA = await boundSocket();
    const engineB = await boundSocket();
    for (const engine of [engineA, engineB]) engine.on('message', (packet, from) => engine.send(packet, from.port, from.address));
    const stranger = await boundSocket();

    const loop = [frame(7, 20)];
    const { generator, finished } = finiteGenerator({
      sockets: 2,
      rounds: 10,
      drainMs: 300,
      streams: [
        { members: 2, intervalMs: 20, frames: loop },
        { members: 2, intervalMs: 40, frames: loop },
      ],
    });
    const ports = generator.ports();
    // Datagrams from nobody's target, queued on both shared sockets before the first round.
    const strays = [ports[0], ports[1], ports[0]];
    for (const port of strays) {
      await new Promise<void>((resolve, reject) => stranger.send(Buffer.from('stray'), port, ADDRESS, (error) => (error ? reject(error) : resolve())));
    }
    // Members 0 and 1 (sockets 0 and 1) send to A; members 2 and 3 (sockets 0 and 1) to B.
    const a = { address: ADDRESS, port: engineA.address().port };
    const b = { address: ADDRESS, port: engineB.address().port };
    generator.start([a, a, b, b]);
    const stats = await finished;

    expect(Array.from(generator.sent())).toEqual([10, 10, 5, 5]);
    expect(Array.from(generator.received())).toEqual([10, 10, 5, 5]);
    expect(Array.from(generator.received(1, 2))).toEqual([10, 5]);
    expect(stats).toMatchObject({ sent: 30, received: 30, minReceived: 5, strangers: strays.length, sendFailed: 0 });
  });

  it('drives 40 members on 4 sockets through the media thread and counts every echo per member', async () => {
    const members = 40;
    const rounds = 50;
    const thread = new MediaThread({ portMin: 22500, portMax: 22999, onEvents: () => {} });
    cleanups.push(() => thread.stop());
    const { generator, finished } = finiteGenerator({
      sockets: 4,
      rounds,
      drainMs: 400,
      streams: [{ members, payloadType: 0, clockRate: 8000, frames: [frame(0xd5, 160), frame(0x55, 160)] }],
    });

    // Each member's leg echoes its packets back to the member's (shared) socket.
    const legs = generator.ports().map((port) => {
      const leg = thread.openLeg({ remoteAddress: ADDRESS, remotePort: port });
      thread.addRelayJob({ fromLeg: leg.legId, toLeg: leg.legId });
      return leg;
    });
    thread.start();
    generator.start(legs.map((leg) => ({ address: ADDRESS, port: leg.port! })));
    const stats = await finished;

    expect(stats).toMatchObject({
      members,
      sockets: 4,
      ticks: rounds,
      sent: members * rounds,
      sendFailed: 0,
      received: members * rounds,
      minReceived: rounds,
      strangers: 0,
    });
    expect(Array.from(generator.received())).toEqual(new Array(members).fill(rounds));
    expect(stats.minPacketsPerSecond).toBeLessThanOrEqual(stats.avgPacketsPerSecond);
    expect(stats.cpuMs).toBeGreaterThan(0);
    for (const leg of thread.stats().legs) {
      expect(leg).toMatchObject({ packetsIn: rounds, packetsOut: rounds, droppedStranger: 0, droppedInvalid: 0 });
    }
  });

  it('echoes every packet of a 300-leg room, whose sends run on the pool while the thread goes on, through latching', async () => {
    // 300 legs pass the threshold (256) above which a wake's sends are handed to the worker pool
    // and finished later; each leg learns its remote from its first packet, which waits for that flush.
    const members = 300;
    const rounds = 40;
    const thread = new MediaThread({ portMin: 23000, portMax: 23999, onEvents: () => {} });
    cleanups.push(() => thread.stop());
    const { generator, finished } = finiteGenerator({
      rounds,
      drainMs: 400,
      streams: [{ members, payloadType: 0, clockRate: 8000, frames: [frame(0xd5, 160), frame(0x55, 160)] }],
    });
    const legs = generator.ports().map(() => {
      const leg = thread.openLeg({ symmetricLatching: true });
      thread.addRelayJob({ fromLeg: leg.legId, toLeg: leg.legId });
      return leg;
    });
    const helpedBefore = workerPoolStats().helped;
    thread.start();
    generator.start(legs.map((leg) => ({ address: ADDRESS, port: leg.port! })));
    const stats = await finished;

    expect(stats).toMatchObject({ members, sent: members * rounds, sendFailed: 0, received: members * rounds, minReceived: rounds, strangers: 0 });
    expect(Array.from(generator.received())).toEqual(new Array(members).fill(rounds));
    for (const leg of thread.stats().legs) {
      expect(leg).toMatchObject({ latched: true, connected: true, packetsIn: rounds, packetsOut: rounds, droppedNoRemote: 0, sendFailed: 0 });
    }
    if (workerPoolStats().workers > 0) expect(workerPoolStats().helped).toBeGreaterThan(helpedBefore);
  });

  it('traces a traced stream: each send time, and each echo with its bytes and kernel arrival time', async () => {
    const echo = await boundSocket();
    echo.on('message', (packet, from) => echo.send(packet, from.port, from.address));
    const loop = [frame(1, 160), frame(2, 160)];
    const { generator, finished } = finiteGenerator({
      sockets: 2,
      rounds: 6,
      drainMs: 200,
      streams: [
        { members: 1, payloadType: 0, clockRate: 8000, frames: loop, traced: true },
        { members: 1, payloadType: 0, clockRate: 8000, frames: loop },
      ],
    });
    generator.start([0, 1].map(() => ({ address: ADDRESS, port: echo.address().port })));
    await finished;
    const traced = generator.trace(0);
    expect(Array.from(traced.sendPackets)).toEqual([0, 1, 2, 3, 4, 5]);
    // One send a round, in order, a tick apart on the generator's clock.
    const sendTimes = Array.from(traced.sendTimesMs);
    for (let i = 1; i < sendTimes.length; i++) expect(sendTimes[i]).toBeGreaterThan(sendTimes[i - 1]);
    expect(Array.from(generator.received())).toEqual([6, 6]);
    expect(traced.receives).toHaveLength(6);
    traced.receives.forEach((bytes, i) => {
      // The echo of packet i: its sequence, its payload, and it came back after it left.
      expect(Buffer.from(bytes).readUInt16BE(2)).toBe(i);
      expect(bytes[12]).toBe(loop[i % 2][0]);
      expect(traced.receiveTimesMs[i]).toBeGreaterThanOrEqual(sendTimes[i]);
    });
    // An untraced member keeps no log.
    const untraced = generator.trace(1);
    expect([untraced.sendPackets.length, untraced.receives.length]).toEqual([0, 0]);
    expect(codeOf(() => generator.trace(2))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('refuses more than 16 traced members', () => {
    expect(codeOf(() => new LoadGenerator({ streams: [{ members: 17, frames: [frame(1, 160)], traced: true }] }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('shares one socket per 100 members by default, its buffers raised past the system cap to hold two rounds', () => {
    const loop = [frame(0, 160)];
    const byDefault = new LoadGenerator({ streams: [{ members: 120, frames: loop }, { members: 130, frames: loop }] });
    cleanups.push(() => byDefault.stop());
    const ports = byDefault.ports();
    expect(ports).toHaveLength(250);
    expect(new Set(ports).size).toBe(3);
    expect(ports.every((port, i) => port === ports[i % 3])).toBe(true);
    expect(byDefault.stats()).toMatchObject({ members: 250, sockets: 3 });

    // 6000 members on one socket: two rounds at 2 KiB of kernel memory per datagram, beyond the
    // default cap, which only SO_RCVBUFFORCE/SO_SNDBUFFORCE pass (as root).
    const oneSocket = new LoadGenerator({ streams: [{ members: 6000, frames: loop }], sockets: 1 });
    cleanups.push(() => oneSocket.stop());
    const needed = 2 * 6000 * 2048;
    const cap = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    const reachable = process.getuid?.() === 0 ? needed : Math.min(needed, cap);
    const stats = oneSocket.stats();
    expect(stats.receiveBufferBytes).toBeGreaterThanOrEqual(reachable);
    expect(stats.sendBufferBytes).toBeGreaterThanOrEqual(reachable);
  });

  it('refuses bad options with ERR_INVALID_ARGUMENT and binds nothing', () => {
    const loop = [frame(0, 160)];
    const bad: unknown[] = [
      undefined,
      {},
      { streams: [] },
      { streams: [{ members: 0, frames: loop }] },
      { streams: [{ members: 1 }] },
      { streams: [{ members: 1, frames: [] }] },
      { streams: [{ members: 1, frames: ['not bytes'] }] },
      { streams: [{ members: 1, frames: [new Uint8Array(2040)] }] },
      { streams: [{ members: 1, frames: loop, firstFrame: 1 }] },
      { streams: [{ members: 1, frames: loop, intervalMs: 30 }] },
      { streams: [{ members: 1, frames: loop, payloadType: 128 }] },
      { streams: [{ members: 1, frames: loop, clockRate: 11025, intervalMs: 20 }] },
      { streams: [{ members: 15000, frames: loop }, { members: 5001, frames: loop }] },
      { streams: [{ members: 2, frames: loop }], sockets: 3 },
      { streams: [{ members: 2, frames: loop }], sockets: 0 },
      { streams: [{ members: 1, frames: loop }], tickMs: 30 },
      { streams: [{ members: 1, frames: loop }], localAddress: 'nowhere' },
      { streams: [{ members: 1, frames: loop }], onDone: 'later' },
    ];
    const fdsBefore = openFds();
    for (const options of bad) {
      expect(codeOf(() => new LoadGenerator(options as LoadGeneratorOptions)), JSON.stringify(options)).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(openFds()).toBe(fdsBefore);
  });

  it('refuses targets that do not match its members, a second start and a bad member range', () => {
    const generator = new LoadGenerator({ streams: [{ members: 2, frames: [frame(0, 1)] }], rounds: 1, drainMs: 0 });
    cleanups.push(() => generator.stop());
    const target = { address: ADDRESS, port: 9 };
    expect(codeOf(() => generator.start([]))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => generator.start([target]))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => generator.start([target, { address: ADDRESS, port: 0 }]))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => generator.start([target, { address: '::1', port: 9 }]))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => generator.received(2))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => generator.sent(1, 2))).toBe('ERR_INVALID_ARGUMENT');
    generator.start([target, target]);
    expect(codeOf(() => generator.start([target, target]))).toBe('ERR_INVALID_STATE');
  });
});
