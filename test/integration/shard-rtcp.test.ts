// RTCP on the shard's native RTP legs (RFC 3550), on loopback: a test peer streams PCMU with a
// known loss pattern and talks RTCP to the media thread, which reports on the peer's stream
// (SR + SDES), measures the round trip from the peer's report on ours, counts malformed RTCP,
// and ends the leg on the peer's BYE.
import { afterEach, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { createShardMedia, type ShardMedia, type ShardMediaEvent } from '../../src/native/shardMedia.ts';
import { NativeMediaBackend } from '../../src/shard/NativeMediaBackend.ts';
import { DEFAULT_MEDIA_SWITCHES, type ShardConferenceEvent, type ShardConferenceSettings } from '../../src/shard/conferenceProtocol.ts';
import { buildRtcpBye, buildRtcpReport, parseRtcp, type RtcpPacket, type RtcpSrPacket } from '../../src/native/testing/rtcp.ts';
import { g711Encode } from '../../src/native/testing/codecs.ts';
import { buildRtpPacket } from '../helpers/rtp.ts';
import { ToneGenerator } from '../helpers/audio.ts';
import { codeOf } from '../helpers/errors.ts';

const pcmu = { codec: 'pcmu' as const, payloadType: 0 };
const FIRST_SEQUENCE = 1000;
const SLOTS = 150; // 3 s of 20 ms packets
const skipped = (slot: number) => slot % 10 === 9; // every 10th sequence number is never sent
/** Sequence numbers skipped among slots 0..h. */
const lostUpTo = (h: number) => Math.floor((h + 1) / 10);
/** What our round trip should come out as: the peer holds an SR this much longer than its DLSR says. */
const UNDECLARED_HOLD_MS = 100;

/** The middle 32 bits of an SR's NTP time: the LSR that refers to it. */
function middle32(sr: RtcpSrPacket): number {
  return (((sr.ntpMsw & 0xffff) << 16) | (sr.ntpLsw >>> 16)) >>> 0;
}

function isRtcp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[1] >= 200 && bytes[1] <= 204;
}

interface ReceivedReport {
  sr: RtcpSrPacket;
  packets: RtcpPacket[];
  /** RTP packets the socket had received before this SR. */
  rtpBefore: number;
  /** performance.now() at arrival. */
  at: number;
  /** Source port. */
  fromPort: number;
}

/** One UDP socket of the test peer: counts RTP and keeps every SR compound it receives. */
class PeerSocket {
  readonly reports: ReceivedReport[] = [];
  readonly malformed: string[] = [];
  rtcpDatagrams = 0;
  rtpPackets = 0;
  #waiters: Array<{ match: (r: ReceivedReport) => boolean; resolve: (r: ReceivedReport) => void }> = [];

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (message, rinfo) => {
      const bytes = new Uint8Array(message);
      if (!isRtcp(bytes)) {
        this.rtpPackets++;
        return;
      }
      this.rtcpDatagrams++;
      const parsed = parseRtcp(bytes);
      if (!parsed.ok) {
        this.malformed.push(parsed.reason);
        return;
      }
      const sr = parsed.packets.find((p): p is RtcpSrPacket => p.type === 'sr');
      if (!sr) return;
      const report = { sr, packets: parsed.packets, rtpBefore: this.rtpPackets, at: performance.now(), fromPort: rinfo.port };
      this.reports.push(report);
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(report)) return true;
        w.resolve(report);
        return false;
      });
    });
  }

  static async create(): Promise<PeerSocket> {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    return new PeerSocket(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** The next SR (arriving from now on) that `match` accepts. */
  nextReport(match: (r: ReceivedReport) => boolean = () => true): Promise<ReceivedReport> {
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  send(bytes: Uint8Array, port: number): void {
    this.socket.send(bytes, port, '127.0.0.1');
  }

  close(): void {
    this.socket.close();
  }
}

/** Streams PCMU from `socket` to `port`: slot i carries sequence FIRST_SEQUENCE + i; `onSlot` runs first. */
function streamPcmu(
  socket: PeerSocket,
  port: number,
  ssrc: number,
  slots: number,
  skip: (slot: number) => boolean,
  onSlot: (slot: number, sent: number) => void = () => {},
): { done: Promise<number>; stop: () => void } {
  const tone = new ToneGenerator(440, 4000, 8000);
  let slot = 0;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<number>((resolve) => {
    timer = setInterval(() => {
      if (slot >= slots) {
        clearInterval(timer);
        resolve(sent);
        return;
      }
      onSlot(slot, sent);
      const payload = g711Encode('pcmu', tone.next(160));
      if (!skip(slot)) {
        socket.send(buildRtpPacket({ payloadType: 0, sequence: FIRST_SEQUENCE + slot, timestamp: 160_000 + 160 * slot, ssrc, payload }), port);
        sent++;
      }
      slot++;
    }, 20);
  });
  return { done, stop: () => clearInterval(timer) };
}

/** Replies to our SR `report` after `holdMs` with an RR about `ourSsrc` whose DLSR understates the hold by UNDECLARED_HOLD_MS. */
function replyWithReceiverReport(from: PeerSocket, port: number, peerSsrc: number, report: ReceivedReport, holdMs: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(() => {
      const held = performance.now() - report.at;
      const rr = buildRtcpReport({
        ssrc: peerSsrc,
        cname: 'peer@test',
        reportBlocks: [
          {
            ssrc: report.sr.ssrc,
            fractionLost: 64,
            cumulativeLost: 7,
            extendedHighestSequence: 5000,
            jitter: 80,
            lsr: middle32(report.sr),
            dlsr: Math.round((held - UNDECLARED_HOLD_MS) * 65.536),
          },
        ],
      });
      from.send(rr, port);
      resolve();
    }, holdMs);
  });
}

/** A ShardMedia whose drained leg events are kept and can be awaited. */
function shardMediaWithEvents(portMin: number, portMax: number) {
  const events: ShardMediaEvent[] = [];
  let waiters: Array<{ match: (e: ShardMediaEvent) => boolean; resolve: (e: ShardMediaEvent) => void }> = [];
  const media: ShardMedia = createShardMedia({
    portMin,
    portMax,
    onNotify: () => {
      for (const event of media.drain().media) {
        events.push(event);
        waiters = waiters.filter((w) => {
          if (!w.match(event)) return true;
          w.resolve(event);
          return false;
        });
      }
    },
  });
  const next = (match: (e: ShardMediaEvent) => boolean) => new Promise<ShardMediaEvent>((resolve) => waiters.push({ match, resolve }));
  return { media, events, next };
}

describe('RTCP on native RTP legs', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });

  it('reports the exact loss pattern, measures the round trip, counts malformed RTCP, and ends on BYE (rtcp-mux)', async () => {
    const { media, next } = shardMediaWithEvents(34000, 34099);
    media.start();
    cleanups.push(() => media.stop());
    const peer = await PeerSocket.create();
    cleanups.push(() => peer.close());
    media.createConference(1, { rate: 8000, interval: 20 });
    const opened = media.addMember(1, 1, {}, { kind: 'rtp', receive: pcmu, send: pcmu, remoteAddress: '127.0.0.1', remotePort: peer.port, rtcpMux: true, rtcpIntervalMs: 1000 });
    expect(opened.rtcpPort).toBeUndefined();
    const port = opened.port!;
    const peerSsrc = 0x5eed1234;

    let peerSr: RtcpSrPacket | undefined;
    const stream = streamPcmu(peer, port, peerSsrc, SLOTS, skipped, (slot, sent) => {
      if (slot === 20) {
        const bytes = buildRtcpReport({ ssrc: peerSsrc, cname: 'peer@test', ntpMs: Date.now(), rtpTimestamp: 160_000 + 160 * slot, packetsSent: sent, octetsSent: sent * 160 });
        const parsed = parseRtcp(bytes);
        if (parsed.ok) peerSr = parsed.packets[0] as RtcpSrPacket;
        peer.send(bytes, port);
      }
      // Claims 40 bytes in an 8-byte datagram.
      if (slot === 40) peer.send(new Uint8Array([0x81, 201, 0x00, 0x09, 0, 0, 0, 1]), port);
    });
    cleanups.push(stream.stop);
    const sentPackets = await stream.done;
    const lastSlot = SLOTS - 1 - (skipped(SLOTS - 1) ? 1 : 0);
    expect(sentPackets).toBe(SLOTS - lostUpTo(SLOTS - 1));

    // The first report after the whole stream arrived.
    const final = await peer.nextReport((r) => r.sr.reportBlocks[0]?.extendedHighestSequence === FIRST_SEQUENCE + lastSlot);
    const stats = media.memberStats(1, 1);

    // Every SR counts exactly the RTP packets sent before it (they leave in order on one socket).
    expect(peer.reports.length).toBeGreaterThanOrEqual(2);
    for (const report of peer.reports) {
      expect(report.sr.packetsSent).toBe(report.rtpBefore);
      expect(report.sr.octetsSent).toBe(160 * report.sr.packetsSent);
      const sdes = report.packets.find((p) => p.type === 'sdes');
      expect(sdes?.type === 'sdes' && sdes.chunks[0].cname).toMatch(/^confmix@[0-9a-f]{16}$/);
    }

    // Each block's loss matches the pattern exactly: cumulative over [first, highest], fraction
    // over the interval since the previous block.
    let previous = -1;
    const withBlocks = peer.reports.filter((r) => r.sr.reportBlocks.length > 0);
    for (const { sr } of withBlocks) {
      const block = sr.reportBlocks[0];
      expect(block.ssrc).toBe(peerSsrc);
      const h = block.extendedHighestSequence - FIRST_SEQUENCE;
      expect(block.cumulativeLost).toBe(lostUpTo(h));
      const expectedInInterval = h - previous;
      const lostInInterval = lostUpTo(h) - lostUpTo(previous);
      expect(block.fractionLost).toBe(expectedInInterval > 0 ? Math.floor((lostInInterval * 256) / expectedInInterval) : 0);
      expect([0, middle32(peerSr!)]).toContain(block.lsr);
      previous = h;
    }
    const finalBlock = final.sr.reportBlocks[0];
    expect(finalBlock.cumulativeLost).toBe(lostUpTo(lastSlot));
    // The peer's SR is remembered: LSR names it, and DLSR is no longer than the time since it was sent.
    expect(finalBlock.lsr).toBe(middle32(peerSr!));
    expect(finalBlock.dlsr).toBeGreaterThan(0);
    expect(finalBlock.dlsr / 65.536).toBeLessThanOrEqual(Date.now() - peerSr!.ntpMs + 2);

    // The snapshot agrees with what the report said.
    const rtcp = stats.rtcp!;
    expect(rtcp.remoteSsrc).toBe(peerSsrc);
    expect(rtcp.localSsrc).toBe(final.sr.ssrc);
    expect(rtcp.packetsReceived).toBe(sentPackets);
    expect(rtcp.bytesReceived).toBe(sentPackets * 160);
    expect(rtcp.cumulativeLost).toBe(lostUpTo(lastSlot));
    expect(rtcp.fractionLost).toBe(finalBlock.fractionLost / 256);
    expect(rtcp.jitter).toBe(finalBlock.jitter);
    expect(rtcp.jitterMs).toBe(finalBlock.jitter / 8);
    expect(rtcp.jitterMs).toBeLessThan(40);
    expect(rtcp.peerPacketsSent).toBe(peerSr!.packetsSent);
    expect(rtcp.rttMs).toBeNull();
    expect(rtcp.reportsSent).toBeGreaterThanOrEqual(peer.reports.length);
    expect(rtcp.reportsReceived).toBe(1);
    // The malformed datagram was counted and dropped, and harmed nothing above.
    expect(rtcp.rtcpMalformed).toBe(1);
    expect(rtcp.lastMalformedReason).toBe('bad-length');
    expect(rtcp.rtcpReceived).toBe(1);
    expect(stats.leg!.droppedInvalid).toBe(1);
    expect(stats.rtcpPort).toBeNull();

    // The peer reports on our stream: the round trip is what it did not declare of its hold.
    await replyWithReceiverReport(peer, port, peerSsrc, final, 215);
    await peer.nextReport();
    const after = media.memberStats(1, 1).rtcp!;
    // Packets are read when the media thread wakes, so the arrival is up to one tick late.
    expect(after.rttMs).toBeGreaterThanOrEqual(UNDECLARED_HOLD_MS - 2);
    expect(after.rttMs).toBeLessThanOrEqual(UNDECLARED_HOLD_MS + 20 + 10);
    expect(after.remoteFractionLost).toBe(0.25);
    expect(after.remoteCumulativeLost).toBe(7);
    expect(after.remoteJitterMs).toBe(10);
    expect(after.reportsReceived).toBe(2);

    // BYE from the peer ends the leg, with its reason.
    const bye = next((e) => e.type === 'rtcp-bye');
    peer.send(buildRtcpBye(peerSsrc, 'going away'), port);
    expect(await bye).toEqual({ type: 'rtcp-bye', leg: opened.legId, conference: 1, member: 1, reason: 'going away' });
    const ended = media.memberStats(1, 1).rtcp!;
    expect(ended.bye).toBe(true);
    expect(ended.byeReason).toBe('going away');
    expect(peer.malformed).toEqual([]);
  }, 30_000);

  it('without rtcp-mux sends and hears RTCP on a second leg, and can switch to rtcp-mux', async () => {
    const { media } = shardMediaWithEvents(34100, 34199);
    media.start();
    cleanups.push(() => media.stop());
    const rtpSocket = await PeerSocket.create();
    const rtcpSocket = await PeerSocket.create();
    cleanups.push(() => rtpSocket.close(), () => rtcpSocket.close());
    media.createConference(2, { rate: 8000, interval: 20 });
    const opened = media.addMember(2, 5, {}, {
      kind: 'rtp',
      receive: pcmu,
      send: pcmu,
      remoteAddress: '127.0.0.1',
      remotePort: rtpSocket.port,
      rtcpMux: false,
      remoteRtcpPort: rtcpSocket.port,
      rtcpIntervalMs: 500,
    });
    expect(opened.rtcpPort).toBeGreaterThan(0);
    expect(opened.rtcpPort).not.toBe(opened.port);
    const peerSsrc = 0x0a0b0c0d;
    const stream = streamPcmu(rtpSocket, opened.port!, peerSsrc, 100_000, () => false);
    cleanups.push(stream.stop);

    const first = await rtcpSocket.nextReport((r) => r.sr.reportBlocks.length > 0);
    expect(first.fromPort).toBe(opened.rtcpPort);
    expect(first.sr.reportBlocks[0].ssrc).toBe(peerSsrc);
    expect(first.sr.reportBlocks[0].cumulativeLost).toBe(0);
    await replyWithReceiverReport(rtcpSocket, opened.rtcpPort!, peerSsrc, first, 215);
    rtcpSocket.send(new Uint8Array([0x80, 200, 0x00, 0x01, 0, 0, 0, 1]), opened.rtcpPort!); // an SR too short for its sender info
    await rtcpSocket.nextReport();
    const stats = media.memberStats(2, 5);
    expect(stats.rtcpPort).toBe(opened.rtcpPort);
    expect(stats.rtcp!.rttMs).toBeGreaterThanOrEqual(UNDECLARED_HOLD_MS - 2);
    expect(stats.rtcp!.rttMs).toBeLessThanOrEqual(UNDECLARED_HOLD_MS + 20 + 10);
    expect(stats.rtcp!.rtcpMalformed).toBe(1);
    expect(stats.rtcp!.lastMalformedReason).toBe('too-short');
    expect(stats.rtcpLeg!.droppedInvalid).toBe(1);
    expect(stats.rtcpLeg!.packetsIn).toBe(1);
    expect(stats.rtcpLeg!.packetsOut).toBeGreaterThanOrEqual(rtcpSocket.reports.length);
    expect(stats.leg!.droppedInvalid).toBe(0);
    // Nothing of RTCP reached the peer's RTP port.
    expect(rtpSocket.rtcpDatagrams).toBe(0);

    // Switching to rtcp-mux closes the RTCP leg; reports come on the RTP leg from then on.
    expect(media.updateLeg(2, 5, { rtcpMux: true })).toEqual({});
    const muxed = await rtpSocket.nextReport();
    expect(muxed.fromPort).toBe(opened.port);
    expect(media.memberStats(2, 5).rtcpPort).toBeNull();
    expect(media.memberStats(2, 5).rtcpLeg).toBeNull();
  }, 30_000);

  it('with rtcp-mux not said, sends no report before the peer has sent RTCP on the RTP port', async () => {
    const { media } = shardMediaWithEvents(34100, 34199);
    media.start();
    cleanups.push(() => media.stop());
    const peer = await PeerSocket.create();
    cleanups.push(() => peer.close());
    media.createConference(4, { rate: 8000, interval: 20 });
    const opened = media.addMember(4, 1, {}, { kind: 'rtp', receive: pcmu, send: pcmu, remoteAddress: '127.0.0.1', remotePort: peer.port, rtcpIntervalMs: 100 });
    const peerSsrc = 0x600d;
    let peerRtcpSent = false;
    let rtpBeforePeerRtcp = 0;
    // At a 100 ms interval about six reports would be due before slot 30.
    const stream = streamPcmu(peer, opened.port!, peerSsrc, 100_000, () => false, (slot) => {
      if (slot !== 30) return;
      rtpBeforePeerRtcp = peer.rtpPackets;
      peer.send(buildRtcpReport({ ssrc: peerSsrc, cname: 'peer@test' }), opened.port!);
      peerRtcpSent = true;
    });
    cleanups.push(stream.stop);
    let sentBeforeFirstReport = false;
    const first = await peer.nextReport(() => {
      sentBeforeFirstReport = peerRtcpSent;
      return true;
    });
    expect(sentBeforeFirstReport).toBe(true);
    expect(rtpBeforePeerRtcp).toBeGreaterThan(20);
    expect(peer.rtcpDatagrams).toBe(1);
    expect(first.sr.reportBlocks[0].ssrc).toBe(peerSsrc);
  });

  it('refuses bad RTCP leg options and changes nothing', async () => {
    const { media } = shardMediaWithEvents(34100, 34199);
    cleanups.push(() => media.stop());
    media.createConference(3, { rate: 8000, interval: 20 });
    const legsBefore = media.legStats().length;
    const rtp = { kind: 'rtp' as const, receive: pcmu, send: pcmu, remoteAddress: '127.0.0.1', remotePort: 40000 };
    expect(codeOf(() => media.addMember(3, 1, {}, { ...rtp, remoteRtcpPort: 40001 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => media.addMember(3, 1, {}, { ...rtp, rtcpIntervalMs: 5 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => media.addMember(3, 1, {}, { ...rtp, rtcpMux: false, remotePort: 65535 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(media.legStats().length).toBe(legsBefore);
    expect(codeOf(() => media.memberStats(3, 1))).toBe('ERR_NOT_FOUND');
    media.addMember(3, 1, {}, rtp);
    expect(codeOf(() => media.updateLeg(3, 1, { rtcpIntervalMs: 1000 } as never))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => media.updateLeg(3, 1, { remoteRtcpPort: 40001 }))).toBe('ERR_INVALID_ARGUMENT');
    const stats = media.memberStats(3, 1);
    expect(stats.rtcpPort).toBeNull();
    expect(media.legStats().length).toBe(legsBefore + 1);
  });

  it('surfaces a peer BYE as leg-ended through the native backend, with flat member stats', async () => {
    const backend = new NativeMediaBackend({ portMin: 34200, portMax: 34299 });
    cleanups.push(() => backend.close());
    const events: ShardConferenceEvent[] = [];
    let waiters: Array<() => void> = [];
    backend.onEvents((batch) => {
      events.push(...batch);
      for (const waiter of waiters) waiter();
    });
    const ended = (member: number) =>
      new Promise<ShardConferenceEvent>((resolve) => {
        const check = () => {
          const found = events.find((e) => e.type === 'leg-ended' && e.member === member);
          if (!found) return;
          waiters = waiters.filter((w) => w !== check);
          resolve(found);
        };
        waiters.push(check);
        check();
      });
    const settings = { rate: 8000, interval: 20, energyLevel: 100, hangoverMs: 500, comfortNoiseDbfs: -60, digits: 'interpret' as const };
    // Settings without their media switches are refused, and no conference is made.
    expect(codeOf(() => backend.createConference('bye', settings as ShardConferenceSettings))).toBe('ERR_INVALID_ARGUMENT');
    backend.createConference('bye', { ...settings, media: DEFAULT_MEDIA_SWITCHES });
    const peerA = await PeerSocket.create();
    const peerB = await PeerSocket.create();
    cleanups.push(() => peerA.close(), () => peerB.close());
    const codec = { name: 'pcmu' as const, payloadType: 0, clockRate: 8000, channels: 1 };
    const legA = await backend.addMember('bye', 1, {}, { kind: 'rtp', codec, remoteAddress: '127.0.0.1', remotePort: peerA.port });
    const legB = await backend.addMember('bye', 2, {}, { kind: 'rtp', codec, remoteAddress: '127.0.0.1', remotePort: peerB.port });
    if (legA.kind !== 'rtp' || legB.kind !== 'rtp') throw new Error('expected RTP legs');

    const endedA = ended(1);
    const stream = streamPcmu(peerA, legA.localPort, 0x1234, 30, () => false);
    cleanups.push(stream.stop);
    const sent = await stream.done;
    peerA.send(buildRtcpBye(0x1234, 'hanging up'), legA.localPort);
    expect(await endedA).toEqual({ type: 'leg-ended', conferenceId: 'bye', member: 1, reason: 'rtcp-bye: hanging up' });
    const stats = await backend.memberStats('bye', 1);
    expect(stats.packetsReceived).toBe(sent);
    expect(stats.bytesReceived).toBe(sent * 160);
    expect(stats.cumulativeLost).toBe(0);
    expect(stats.rttMs).toBe(-1);
    expect(stats.localPort).toBe(legA.localPort);
    expect(stats.packetsIn).toBe(sent + 1);
    expect(stats).not.toHaveProperty('remoteFractionLost');
    expect(stats).not.toHaveProperty('localRtcpPort');

    // A BYE with no reason, before any RTP: the peer is whoever is not us.
    const endedB = ended(2);
    peerB.send(buildRtcpBye(0x777), legB.localPort);
    expect(await endedB).toEqual({ type: 'leg-ended', conferenceId: 'bye', member: 2, reason: 'rtcp-bye' });
  }, 30_000);
});
