// External legs of the product shard binding: RTP pushed in by this thread (as a WebRTC
// transport will after SRTP) is mixed, and each member's RTP comes back through takeOutgoing.
import { afterEach, describe, expect, it } from 'vitest';
import { createShardMedia, type ShardMedia } from '../../src/native/shardMedia.ts';
import { g711Decode, g711Encode } from '../../src/native/testing/codecs.ts';
import { concat, toneDbfs, ToneGenerator } from '../helpers/audio.ts';
import { codeOf } from '../helpers/errors.ts';
import { RtpStreamBuilder } from '../helpers/rtp.ts';

const PCMU = { codec: 'pcmu' as const, payloadType: 0, clockRate: 8000 };

describe('shard media external legs', () => {
  let media: ShardMedia | undefined;
  afterEach(() => media?.stop());

  it('mixes RTP pushed into one member and hands the others their RTP to send', async () => {
    const heard = new Map<number, Int16Array[]>([
      [1, []],
      [2, []],
    ]);
    const conferences = new Set<number>();
    let enough: () => void = () => {};
    const done = new Promise<void>((resolve) => (enough = resolve));
    const shard = createShardMedia({
      portMin: 23200,
      portMax: 23219,
      realtimePriority: 0,
      onNotify: () => {
        shard.drain();
        const { bytes, index } = shard.takeOutgoing();
        for (let i = 0; i < index.length; i += 4) {
          const [conference, member, offset, size] = [index[i], index[i + 1], index[i + 2], index[i + 3]];
          conferences.add(conference);
          const packet = bytes.subarray(offset, offset + size);
          if ((packet[1] & 0x7f) !== 0 || size !== 172) continue; // RTCP, or not the PCMU stream
          heard.get(member)?.push(g711Decode('pcmu', packet.subarray(12)));
        }
        if (heard.get(2)!.length >= 100) enough();
      },
    });
    media = shard;
    shard.start();
    shard.createConference(1, { rate: 8000, interval: 20 });
    const a = shard.addMember(1, 1, {}, { kind: 'external', receive: PCMU, send: PCMU });
    const b = shard.addMember(1, 2, {}, { kind: 'external', receive: PCMU, send: PCMU });
    expect(a.legId).toBeGreaterThan(0);
    expect(b.legId).not.toBe(a.legId);
    expect(a.port).toBeUndefined(); // no socket

    // Member 1 sends a 400 Hz tone (8 whole cycles a frame, so each frame is measured alone), paced like a peer: one 20 ms packet per 20 ms.
    const tone = new ToneGenerator(400, 12000, 8000);
    const stream = new RtpStreamBuilder({ ssrc: 0x5150, payloadType: 0, samplesPerPacket: 160 }, { sequence: 1, timestamp: 0 });
    let refused = 0;
    const sender = setInterval(() => {
      if (!shard.pushPacket(1, 1, stream.packet({ payload: g711Encode('pcmu', tone.next(160)) }).bytes)) refused++;
    }, 20);
    try {
      await done;
    } finally {
      clearInterval(sender);
    }
    expect([...conferences]).toEqual([1]);
    expect(refused).toBe(0);
    // Member 2 hears the tone at its level (-8.7 dBFS) in most frames; a frame the jitter buffer
    // conceals or stretches on this loaded machine may be lower. Member 1 never hears itself (N-1).
    const median = (frames: Int16Array[]) => frames.map((f) => toneDbfs(f, 400, 8000)).sort((x, y) => x - y)[frames.length >> 1];
    expect(median(heard.get(2)!.slice(-50))).toBeGreaterThan(-10);
    expect(toneDbfs(concat(heard.get(1)!.slice(-50)), 400, 8000)).toBeLessThan(-50);
    const stats = shard.memberStats(1, 1);
    expect(stats.leg?.packetsIn).toBeGreaterThan(40);
    expect(stats.port).toBe(0);
  });

  it('refuses bad external-leg calls with a code and changes nothing', () => {
    const shard = createShardMedia({ portMin: 23220, portMax: 23239, realtimePriority: 0, onNotify: () => {} });
    media = shard;
    shard.start();
    shard.createConference(1, { rate: 8000, interval: 20 });
    shard.addMember(1, 1, {}, { kind: 'app' });
    shard.addMember(1, 2, {}, { kind: 'external', receive: PCMU, send: PCMU });
    expect(codeOf(() => shard.pushPacket(1, 1, new Uint8Array(12)))).toBe('ERR_INVALID_STATE');
    expect(codeOf(() => shard.pushPacket(1, 9, new Uint8Array(12)))).toBe('ERR_NOT_FOUND');
    expect(codeOf(() => shard.pushPacket(1, 2, [1, 2, 3] as unknown as Uint8Array))).toBe('ERR_INVALID_ARGUMENT');
    expect(
      codeOf(() => shard.addMember(1, 3, {}, { kind: 'external', receive: PCMU, rtcpMux: false } as never)),
    ).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => shard.updateLeg(1, 2, { remotePort: 4000, remoteAddress: '127.0.0.1' }))).toBe('ERR_INVALID_STATE');
    expect(shard.stats().members).toBe(2);
    const { bytes, index } = shard.takeOutgoing();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(index.length % 4).toBe(0);
  });

  it('takes a batch of datagrams in one call: counts those queued, skips members gone, refuses a bad index whole', () => {
    const shard = createShardMedia({ portMin: 23240, portMax: 23259, realtimePriority: 0, onNotify: () => {} });
    media = shard;
    shard.start();
    shard.createConference(1, { rate: 8000, interval: 20 });
    shard.addMember(1, 1, {}, { kind: 'external', receive: PCMU, send: PCMU });
    const stream = new RtpStreamBuilder({ ssrc: 0x4242, payloadType: 0, samplesPerPacket: 160 }, { sequence: 10, timestamp: 1600 });
    const packets = [0, 1, 2].map(() => stream.packet({ payload: new Uint8Array(160).fill(0xff) }).bytes);
    const bytes = new Uint8Array(packets.reduce((n, p) => n + p.length, 0));
    let at = 0;
    const index: number[] = [];
    for (const [i, packet] of packets.entries()) {
      bytes.set(packet, at);
      // The middle one names a member that is not there: skipped, not counted.
      index.push(1, i === 1 ? 9 : 1, at, packet.length);
      at += packet.length;
    }
    expect(shard.pushPackets(Uint32Array.from(index), bytes)).toBe(2);
    expect(codeOf(() => shard.pushPackets(Uint32Array.from([1, 1, at - 4, 12]), bytes))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => shard.pushPackets(Uint32Array.from([1, 1, 0]), bytes))).toBe('ERR_INVALID_ARGUMENT');
    expect(codeOf(() => shard.pushPackets([1, 1, 0, 12] as unknown as Uint32Array, bytes))).toBe('ERR_INVALID_ARGUMENT');
  });
});
