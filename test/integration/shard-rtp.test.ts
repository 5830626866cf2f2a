// Shards with native RTP sockets, end to end on loopback: real UDP in and out of the shard's
// media thread, latching, inactivity, clock accuracy and shard death.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import dgram from 'node:dgram';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import type { ShardEvent } from '../../src/shard/messages.ts';
import { DEFAULT_MEDIA_SWITCHES, type ShardConferenceSettings } from '../../src/shard/conferenceProtocol.ts';
import { toneDbfs } from '../helpers/audio.ts';
import { RtpPeer } from '../helpers/rtpPeer.ts';
import { mayUseRealtime } from '../helpers/capabilities.ts';
import { g711Encode } from '../../src/native/testing/codecs.ts';
import { buildRtpPacket } from '../helpers/rtp.ts';

const settings: ShardConferenceSettings = {
  rate: 8000,
  interval: 20,
  energyLevel: 100,
  hangoverMs: 500,
  comfortNoiseDbfs: -60,
  digits: 'interpret',
  media: DEFAULT_MEDIA_SWITCHES,
};
const pcmu = { name: 'pcmu' as const, payloadType: 0, clockRate: 8000, channels: 1 };

function waitForEvent(pool: ShardPool, match: (e: ShardEvent) => boolean): Promise<ShardEvent> {
  return new Promise((resolve) => {
    const listener = (e: ShardEvent) => {
      if (!match(e)) return;
      pool.off('event', listener);
      resolve(e);
    };
    pool.on('event', listener);
  });
}

describe('shards with native RTP', () => {
  let pool: ShardPool;
  const peers: RtpPeer[] = [];
  beforeEach(async () => {
    pool = await ShardPool.create({ shards: 2, portMin: 31000, portMax: 31999 });
  });
  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.close();
    await pool.close();
  });

  async function rtpMember(conferenceId: string, shardIndex: number, member: number, peer: RtpPeer, extra: object = {}) {
    const result = await pool.shards[shardIndex].request('addMember', {
      conferenceId,
      member,
      settings: {},
      leg: { kind: 'rtp', codec: pcmu, remoteAddress: '127.0.0.1', remotePort: peer.port, ...extra },
    });
    if (result.leg.kind !== 'rtp') throw new Error(`an rtp leg answered as ${result.leg.kind}`);
    return result.leg.localPort;
  }

  it('mixes a real UDP round trip: each peer hears the other, never itself; strangers are dropped', async () => {
    const shard = pool.shards[0];
    await shard.request('createConference', { conferenceId: 'rt', settings });
    const a = await RtpPeer.create();
    const b = await RtpPeer.create();
    const stranger = dgram.createSocket('udp4');
    peers.push(a, b);
    const portA = await rtpMember('rt', 0, 1, a);
    const portB = await rtpMember('rt', 0, 2, b);
    a.sendTone(portA, 440, 8000);
    b.sendTone(portB, 1000, 8000);
    // A stranger sends a 1800 Hz tone to A's port from another source port: RTP bleed.
    let strangerPackets = 0;
    const strangerTimer = setInterval(() => {
      const tone = new Int16Array(160).map((_, i) => 8000 * Math.sin((2 * Math.PI * 1800 * (strangerPackets * 160 + i)) / 8000));
      stranger.send(buildRtpPacket({ payloadType: 0, sequence: strangerPackets, timestamp: strangerPackets * 160, ssrc: 99, payload: g711Encode('pcmu', tone) }), portA, '127.0.0.1');
      strangerPackets++;
    }, 20);
    await Promise.all([a.waitForPackets(75), b.waitForPackets(75)]);
    clearInterval(strangerTimer);
    stranger.close();
    const heardByA = a.audio(25);
    const heardByB = b.audio(25);
    expect(toneDbfs(heardByB, 440, 8000)).toBeGreaterThan(-20);
    expect(toneDbfs(heardByA, 1000, 8000)).toBeGreaterThan(-20);
    // Own tone absent: at the comfort-noise floor, far below the other's.
    expect(toneDbfs(heardByA, 440, 8000)).toBeLessThan(toneDbfs(heardByA, 1000, 8000) - 40);
    expect(toneDbfs(heardByB, 1000, 8000)).toBeLessThan(toneDbfs(heardByB, 440, 8000) - 40);
    // The stranger's tone never reached the mix, and its packets were counted.
    expect(toneDbfs(heardByB, 1800, 8000)).toBeLessThan(toneDbfs(heardByB, 440, 8000) - 40);
    const stats = await shard.request('memberStats', { conferenceId: 'rt', member: 1 });
    expect(stats.droppedStranger).toBeGreaterThanOrEqual(strangerPackets - 1);
    expect(stats.packetsIn).toBeGreaterThan(50);
  });

  it('runs each shard\'s media thread real-time where permitted; a bad priority is refused', async () => {
    for (const shard of pool.shards) {
      expect((await shard.request('stats', {})).realtime).toBe(mayUseRealtime());
    }
    await expect(ShardPool.create({ shards: 1, portMin: 32000, portMax: 32099, realtimePriority: 100 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    const ordinary = await ShardPool.create({ shards: 1, portMin: 32000, portMax: 32099, realtimePriority: 0 });
    try {
      expect((await ordinary.shards[0].request('stats', {})).realtime).toBe(false);
    } finally {
      await ordinary.close();
    }
  });

  it('raises a leg timeout with its reason when a peer goes quiet', async () => {
    await pool.shards[1].request('createConference', { conferenceId: 'quiet', settings });
    const peer = await RtpPeer.create();
    peers.push(peer);
    const timeout = waitForEvent(pool, (e) => e.type === 'leg-timeout' && e.conferenceId === 'quiet');
    await rtpMember('quiet', 1, 7, peer, { timeoutMs: 300 });
    expect(await timeout).toMatchObject({ type: 'leg-timeout', conferenceId: 'quiet', member: 7, reason: 'rtp-timeout' });
  });

  it('ticks once per interval over 10 s of real time, without drift', async () => {
    const shard = pool.shards[0];
    await shard.request('createConference', { conferenceId: 'clock', settings });
    // A member gives the clock something to do: an empty conference sleeps.
    const peer = await RtpPeer.create();
    peers.push(peer);
    await rtpMember('clock', 0, 1, peer);
    type Clock = { ticks: number; lastDeadlineMs: number };
    let first = await shard.request('conferenceClock', { conferenceId: 'clock' });
    while (first.ticks === 0) first = await shard.request('conferenceClock', { conferenceId: 'clock' });
    const readFirst = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const last = await shard.request('conferenceClock', { conferenceId: 'clock' });
    const readElapsed = performance.now() - readFirst;
    const ticks = last.ticks - first.ticks;
    const elapsed = last.lastDeadlineMs - first.lastDeadlineMs;
    expect(elapsed).toBeGreaterThan(9_900);
    // Deadlines advance by exactly one interval per tick: nothing skipped, nothing drifts.
    expect(Math.abs(ticks - elapsed / 20)).toBeLessThanOrEqual(1);
    // And the clock kept up with real time: within a tick or two of the wall clock.
    expect(Math.abs(ticks - readElapsed / 20)).toBeLessThanOrEqual(2);
  }, 20_000);

  it('replaces a dead shard, names the conferences lost, and leaves the others running', async () => {
    await pool.shards[0].request('createConference', { conferenceId: 'doomed', settings });
    pool.shards[0].conferenceIds.add('doomed');
    await pool.shards[1].request('createConference', { conferenceId: 'survivor', settings });
    pool.shards[1].conferenceIds.add('survivor');
    const peer = await RtpPeer.create();
    peers.push(peer);
    await rtpMember('survivor', 1, 1, peer); // an empty conference would sleep, not tick
    const before = await pool.shards[1].request('stats', {});
    const died = once(pool, 'sharddied');
    const replaced = once(pool, 'shardreplaced');
    await pool.shards[0].terminate();
    const [info] = await died;
    expect(info.shardId).toBe(0);
    expect(info.conferenceIds).toEqual(['doomed']);
    await replaced;
    expect(await pool.shards[0].request('ping')).toEqual({ shardId: 0 });
    const after = await pool.shards[1].request('stats', {});
    expect(after.ticks).toBeGreaterThan(before.ticks);
    expect(after.conferences).toBe(1);
  });
});
