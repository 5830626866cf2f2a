// Plain-RTP UDP legs of the native media thread on loopback: a relay job forwards leg A's packets
// to leg B byte for byte (IPv4 and IPv6), and latching keeps strangers out.
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../helpers/mediaEvents.ts';
import { MediaThread, type MediaEvent } from '../../src/native/testing/media.ts';

/** A loopback dgram socket that records what it receives and can wait for a count. */
class Peer {
  readonly received: Array<{ data: Buffer; port: number }> = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(
    readonly socket: dgram.Socket,
    readonly host: string,
  ) {
    socket.on('message', (data, remote) => {
      this.received.push({ data, port: remote.port });
      this.waiters = this.waiters.filter((waiter) => {
        if (this.received.length < waiter.count) return true;
        waiter.resolve();
        return false;
      });
    });
  }

  static async open(host: string): Promise<Peer> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
    return new Peer(socket, host);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends and resolves once the kernel has the datagram (loopback: queued at the receiver). */
  send(data: Uint8Array, port: number): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.send(data, port, this.host, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Resolves once `count` datagrams in all have arrived. */
  receivedCount(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openPeer(host: string): Promise<Peer> {
  const peer = await Peer.open(host);
  cleanups.push(() => peer.close());
  return peer;
}

function startThread(log: EventLog): MediaThread {
  const thread = new MediaThread({ portMin: 22000, portMax: 22499, dropReportIntervalMs: 100, onEvents: log.push });
  cleanups.push(() => thread.stop());
  thread.start();
  return thread;
}

/** An RTP-shaped packet: version 2, sequence `seq`, a payload of `size - 12` bytes marked `mark`. */
function rtpPacket(seq: number, mark: number, size = 172): Buffer {
  const packet = Buffer.alloc(size);
  packet[0] = 0x80;
  packet.writeUInt16BE(seq & 0xffff, 2);
  packet.writeUInt32BE(seq * 160, 4);
  packet.writeUInt32BE(0x11223344, 8);
  for (let i = 12; i < size; i++) packet[i] = (mark + seq * 7 + i) & 0xff;
  return packet;
}

const hasIpv6Loopback = Object.values(networkInterfaces()).some((addresses) =>
  (addresses ?? []).some((address) => address.family === 'IPv6' && address.address === '::1'),
);

async function roundTrip(host: string): Promise<void> {
  const log = new EventLog();
  const thread = startThread(log);
  const sender = await openPeer(host);
  const receiver = await openPeer(host);
  const a = thread.openLeg({ localAddress: host, remoteAddress: host, remotePort: sender.port });
  const b = thread.openLeg({ localAddress: host, remoteAddress: host, remotePort: receiver.port });
  thread.addRelayJob({ fromLeg: a.legId, toLeg: b.legId, intervalMs: 20 });

  // 300 packets of varied sizes, in bursts of 30, each burst awaited at the far end.
  const sent: Buffer[] = [];
  for (let burst = 0; burst < 10; burst++) {
    for (let i = 0; i < 30; i++) {
      const seq = burst * 30 + i;
      const packet = rtpPacket(seq, 1, 12 + ((seq * 37) % 1200));
      sent.push(packet);
      await sender.send(packet, a.port!);
    }
    await receiver.receivedCount(sent.length);
  }

  expect(receiver.received.length).toBe(sent.length);
  expect(receiver.received.every((entry) => entry.port === b.port)).toBe(true);
  expect(receiver.received.map((entry) => entry.data.toString('hex'))).toEqual(sent.map((packet) => packet.toString('hex')));

  const bytes = sent.reduce((sum, packet) => sum + packet.length, 0);
  const legs = thread.stats().legs;
  expect(legs.find((leg) => leg.legId === a.legId)).toMatchObject({
    packetsIn: sent.length,
    bytesIn: bytes,
    droppedStranger: 0,
    droppedInvalid: 0,
    connected: true,
  });
  expect(legs.find((leg) => leg.legId === b.legId)).toMatchObject({
    packetsOut: sent.length,
    bytesOut: bytes,
    sendFailed: 0,
    droppedOverflow: 0,
    connected: true,
  });
}

describe('UDP legs', () => {
  it('relays RTP from leg A to leg B byte-identical over IPv4 loopback', async () => {
    await roundTrip('127.0.0.1');
  });

  it.runIf(hasIpv6Loopback)('relays RTP from leg A to leg B byte-identical over IPv6 loopback', async () => {
    await roundTrip('::1');
  });

  it('drops and counts packets from a source other than a fixed remote', async () => {
    const log = new EventLog();
    const thread = startThread(log);
    const remote = await openPeer('127.0.0.1');
    const stranger = await openPeer('127.0.0.1');
    const receiver = await openPeer('127.0.0.1');
    const a = thread.openLeg({ remoteAddress: '127.0.0.1', remotePort: remote.port });
    const b = thread.openLeg({ remoteAddress: '127.0.0.1', remotePort: receiver.port });
    thread.addRelayJob({ fromLeg: a.legId, toLeg: b.legId });

    for (let seq = 0; seq < 7; seq++) await stranger.send(rtpPacket(seq, 200), a.port!);
    for (let seq = 0; seq < 5; seq++) await remote.send(rtpPacket(seq, 100), a.port!);
    await receiver.receivedCount(5);
    let reported = 0;
    const last = await log.waitFor(
      (event) => event.type === 'dropped' && event.legId === a.legId && (reported += event.count) >= 7,
    );

    expect(last).toMatchObject({ type: 'dropped', legId: a.legId, reason: 'stranger', total: 7 });
    expect(last).toMatchObject({ address: '127.0.0.1', port: stranger.port });
    expect(receiver.received.map((entry) => entry.data.toString('hex'))).toEqual(
      [0, 1, 2, 3, 4].map((seq) => rtpPacket(seq, 100).toString('hex')),
    );
    expect(thread.stats().legs.find((leg) => leg.legId === a.legId)).toMatchObject({
      packetsIn: 5,
      droppedStranger: 7,
      droppedInvalid: 0,
      latched: false,
      connected: true,
      remotePort: remote.port,
    });
  });

  it('moves its connected socket to a new remote: the old one becomes a stranger', async () => {
    const log = new EventLog();
    const thread = startThread(log);
    const first = await openPeer('127.0.0.1');
    const second = await openPeer('127.0.0.1');
    const a = thread.openLeg({ remoteAddress: '127.0.0.1', remotePort: first.port });
    thread.addRelayJob({ fromLeg: a.legId, toLeg: a.legId });

    // The relay echoes the leg's packets back to its remote, from the leg's own port.
    await first.send(rtpPacket(0, 10), a.port!);
    await first.receivedCount(1);
    thread.setRemote(a.legId, '127.0.0.1', second.port);
    // The change is a command the media thread applies at its next wake; its stats show it then.
    while (thread.stats().legs.find((leg) => leg.legId === a.legId)?.remotePort !== second.port) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (let seq = 1; seq <= 3; seq++) await first.send(rtpPacket(seq, 10), a.port!);
    await second.send(rtpPacket(4, 20), a.port!);
    await second.receivedCount(1);
    let strangers = 0;
    await log.waitFor(
      (event) => event.type === 'dropped' && event.reason === 'stranger' && event.legId === a.legId && (strangers += event.count) >= 3,
    );

    expect(first.received.map((entry) => entry.port)).toEqual([a.port]);
    expect(second.received.map((entry) => ({ port: entry.port, hex: entry.data.toString('hex') }))).toEqual([
      { port: a.port, hex: rtpPacket(4, 20).toString('hex') },
    ]);
    expect(thread.stats().legs.find((leg) => leg.legId === a.legId)).toMatchObject({
      packetsIn: 2,
      droppedStranger: 3,
      connected: true,
      remotePort: second.port,
    });
  });

  it('latches onto the first valid packet, not an invalid one, then keeps strangers out', async () => {
    const log = new EventLog();
    const thread = startThread(log);
    const caller = await openPeer('127.0.0.1');
    const prober = await openPeer('127.0.0.1');
    const receiver = await openPeer('127.0.0.1');
    const a = thread.openLeg({ symmetricLatching: true });
    const b = thread.openLeg({ remoteAddress: '127.0.0.1', remotePort: receiver.port });
    thread.addRelayJob({ fromLeg: a.legId, toLeg: b.legId });
    // No remote yet: nothing to connect to.
    expect(thread.stats().legs.find((leg) => leg.legId === a.legId)).toMatchObject({ connected: false });

    // Arrive first, but are not RTP (too short, version 0): they must not latch.
    await prober.send(Buffer.from([0x80, 0, 0, 1]), a.port!);
    await prober.send(Buffer.alloc(40), a.port!);
    await prober.send(Buffer.from('hello there, not rtp at all'), a.port!);
    await caller.send(rtpPacket(0, 100), a.port!);

    const latched = await log.waitFor((event) => event.type === 'latched' && event.legId === a.legId);
    expect(latched).toEqual({ type: 'latched', legId: a.legId, address: '127.0.0.1', port: caller.port });

    for (let seq = 0; seq < 4; seq++) await prober.send(rtpPacket(seq, 200), a.port!);
    for (let seq = 1; seq < 3; seq++) await caller.send(rtpPacket(seq, 100), a.port!);
    await receiver.receivedCount(3);
    let strangers = 0;
    await log.waitFor(
      (event) =>
        event.type === 'dropped' && event.reason === 'stranger' && event.legId === a.legId && (strangers += event.count) >= 4,
    );

    expect(receiver.received.map((entry) => entry.data.toString('hex'))).toEqual(
      [0, 1, 2].map((seq) => rtpPacket(seq, 100).toString('hex')),
    );
    expect(log.events.filter((event) => event.type === 'latched')).toHaveLength(1);
    expect(thread.stats().legs.find((leg) => leg.legId === a.legId)).toMatchObject({
      packetsIn: 3,
      droppedInvalid: 3,
      droppedStranger: 4,
      latched: true,
      connected: true,
      remoteAddress: '127.0.0.1',
      remotePort: caller.port,
    });
  });

  it('sends a job\'s packets for a JavaScript-fed leg out of a UDP leg, and back', async () => {
    const log = new EventLog();
    const thread = startThread(log);
    const peer = await openPeer('127.0.0.1');
    const udp = thread.openLeg({ remoteAddress: '127.0.0.1', remotePort: peer.port });
    const js = thread.openLeg({ transport: 'js' });
    thread.addRelayJob({ fromLeg: js.legId, toLeg: udp.legId });
    thread.addRelayJob({ fromLeg: udp.legId, toLeg: js.legId });

    const pushed = [rtpPacket(1, 50), rtpPacket(2, 50)];
    for (const packet of pushed) thread.pushPacket(js.legId, packet);
    await peer.receivedCount(2);
    expect(peer.received.map((entry) => entry.data.toString('hex'))).toEqual(pushed.map((packet) => packet.toString('hex')));

    const answered = rtpPacket(3, 60);
    await peer.send(answered, udp.port!);
    await log.waitFor((event) => event.type === 'outgoing');
    const taken = thread.takeOutgoing();
    expect(taken.map((entry) => ({ legId: entry.legId, hex: Buffer.from(entry.packet).toString('hex') }))).toEqual([
      { legId: js.legId, hex: answered.toString('hex') },
    ]);
  });
});
