// The native load generator on loopback: the RTP it sends (sequence, timestamp, SSRC, size), and
// a round trip through the media thread's UDP legs, with a bounded packet count.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadGenerator, MediaThread, type LoadGeneratorStats } from '../../src/native/media.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('load generator', () => {
  it('sends one RTP packet per member per interval with its own SSRC, sequence and timestamp', async () => {
    const socket = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    const received: Buffer[] = [];
    const allArrived = new Promise<void>((resolve) =>
      socket.on('message', (data) => {
        received.push(data);
        if (received.length === 6) resolve();
      }),
    );

    let done!: (stats: LoadGeneratorStats) => void;
    const finished = new Promise<LoadGeneratorStats>((resolve) => (done = resolve));
    const generator = new LoadGenerator({
      members: 2,
      packets: 3,
      payloadType: 8,
      payloadBytes: 160,
      drainMs: 0,
      onDone: (stats) => done(stats),
    });
    cleanups.push(() => generator.stop());
    const ports = generator.ports();
    expect(ports).toHaveLength(2);
    generator.start([{ address: '127.0.0.1', port: socket.address().port }]);
    const stats = await finished;
    await allArrived;

    expect(stats).toMatchObject({ running: false, members: 2, ticks: 3, sent: 6, sendFailed: 0 });
    const bySsrc = new Map<number, Array<{ seq: number; ts: number }>>();
    for (const packet of received) {
      expect(packet.length).toBe(172);
      expect(packet[0]).toBe(0x80);
      expect(packet[1]).toBe(8);
      const ssrc = packet.readUInt32BE(8);
      bySsrc.set(ssrc, [...(bySsrc.get(ssrc) ?? []), { seq: packet.readUInt16BE(2), ts: packet.readUInt32BE(4) }]);
    }
    expect(bySsrc.size).toBe(2);
    for (const sequence of bySsrc.values()) {
      expect(sequence).toEqual([
        { seq: 0, ts: 0 },
        { seq: 1, ts: 160 },
        { seq: 2, ts: 320 },
      ]);
    }
  });

  it('drives 40 members through the media thread and counts every echo', async () => {
    const members = 40;
    const packets = 50;
    const thread = new MediaThread({ portMin: 22500, portMax: 22999, onEvents: () => {} });
    cleanups.push(() => thread.stop());
    let done!: (stats: LoadGeneratorStats) => void;
    const finished = new Promise<LoadGeneratorStats>((resolve) => (done = resolve));
    const generator = new LoadGenerator({ members, packets, drainMs: 400, onDone: (stats) => done(stats) });
    cleanups.push(() => generator.stop());

    // Each member's leg echoes its packets back to it.
    const legs = generator.ports().map((port) => {
      const leg = thread.openLeg({ remoteAddress: '127.0.0.1', remotePort: port });
      thread.addRelayJob({ fromLeg: leg.legId, toLeg: leg.legId });
      return leg;
    });
    thread.start();
    generator.start(legs.map((leg) => ({ address: '127.0.0.1', port: leg.port! })));
    const stats = await finished;

    expect(stats).toMatchObject({
      members,
      ticks: packets,
      sent: members * packets,
      sendFailed: 0,
      received: members * packets,
      minReceived: packets,
    });
    expect(stats.minPacketsPerSecond).toBeLessThanOrEqual(stats.avgPacketsPerSecond);
    expect(stats.cpuMs).toBeGreaterThan(0);
    for (const leg of thread.stats().legs) {
      expect(leg).toMatchObject({ packetsIn: packets, packetsOut: packets, droppedStranger: 0, droppedInvalid: 0 });
    }
  });

  it('refuses bad options and a second start', () => {
    expect(codeOf(() => new LoadGenerator({ members: 0 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => new LoadGenerator({ members: 1, intervalMs: 30 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => new LoadGenerator({ members: 1, localAddress: 'nowhere' }))).toBe('ERR_INVALID_ARGUMENT');
    const generator = new LoadGenerator({ members: 1, packets: 1, drainMs: 0 });
    cleanups.push(() => generator.stop());
    expect(codeOf(() => generator.start([]))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => generator.start([{ address: '127.0.0.1', port: 0 }]))).toBe('ERR_INVALID_ARGUMENT');
    generator.start([{ address: '127.0.0.1', port: 9 }]);
    expect(codeOf(() => generator.start([{ address: '127.0.0.1', port: 9 }]))).toBe('ERR_INVALID_STATE');
  });
});
