// Faults of the engine's neighbours, survived on real shards: a shard killed during a call, and
// 10,000 members joining and leaving with nothing left behind (legs, ports, descriptors).
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/Engine.ts';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import type { Conference, Member, RtpLeg } from '../../src/index.ts';
import { LoadGenerator, type LoadGeneratorStats } from '../../src/native/testing/media.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';

const PORT_MIN = 28000;
const PORT_MAX = 28999;

let engine: Engine | undefined;
let pool: ShardPool | undefined;

afterEach(async () => {
  await engine?.close();
  await pool?.close();
  engine = undefined;
  pool = undefined;
});

async function start(shards: number, options: { completedHistory?: number } = {}): Promise<{ engine: Engine; pool: ShardPool }> {
  pool = await ShardPool.create({ shards, portMin: PORT_MIN, portMax: PORT_MAX });
  engine = Engine.createWithPool(pool, options);
  return { engine, pool };
}

type Clock = { ticks: number; lastDeadlineMs: number };

function clockOf(pool: ShardPool, conference: Conference): Promise<Clock> {
  return pool.shards[conference.shardId].request('conferenceClock', { conferenceId: conference.id });
}

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;

describe('a shard killed during a call', () => {
  it('completes its conferences with a reason, tells their members, leaves the other shard ticking, and takes new conferences on its replacement', async () => {
    const { engine, pool } = await start(2);
    const doomed = await engine.createConference({ rate: 8000 });
    // Members first: placement weighs members before tick CPU, so the next conference goes to the other shard.
    const doomedMembers = [await doomed.addMember({ leg: await engine.createAppLeg({ rate: 8000 }) }), await doomed.addMember({ leg: { kind: 'rtp', codec: 'pcmu', symmetricLatching: true } })];
    const survivor = await engine.createConference({ rate: 8000 });
    expect(doomed.shardId).not.toBe(survivor.shardId);
    const survivorMember = await survivor.addMember({ leg: await engine.createAppLeg({ rate: 8000 }) });

    const memberEvents: Array<{ memberId: string; state: string }> = [];
    for (const member of doomedMembers) member.on('conference-member', (payload) => memberEvents.push(payload));
    const closed = Promise.all(doomedMembers.map((member) => new Promise<string>((resolve) => member.once('close', resolve))));
    const conferenceEvent = new Promise<{ status: string }>((resolve) => doomed.on('conference', resolve));
    const died = new Promise<{ shardId: number; conferenceIds: string[] }>((resolve) => engine.once('sharddied', resolve));
    const replaced = new Promise<number>((resolve) => pool.once('shardreplaced', resolve));
    // Measured from two ticks after the member joined: the conference slept while it was empty,
    // and the clock has no deadline to count from before its first tick.
    const joined = await clockOf(pool, survivor);
    let before = joined;
    while (before.ticks < joined.ticks + 2) before = await clockOf(pool, survivor);

    await pool.shards[doomed.shardId].terminate();

    expect(await died).toMatchObject({ shardId: doomed.shardId, conferenceIds: [doomed.id] });
    expect(await closed).toEqual(['shard-died', 'shard-died']);
    expect(await conferenceEvent).toMatchObject({ status: 'completed' });
    expect(doomed.completedReason).toBe('shard-died');
    expect(memberEvents.map((e) => e.state)).toEqual(['completed', 'completed']);
    for (const member of doomedMembers) expect(member.removedReason).toBe('shard-died');

    // The other shard's conference ran every tick: its clock advanced one tick per interval.
    await replaced;
    const after = await clockOf(pool, survivor);
    expect(after.ticks - before.ticks).toBe(Math.round((after.lastDeadlineMs - before.lastDeadlineMs) / survivor.interval));
    expect(after.ticks).toBeGreaterThan(before.ticks);
    expect(survivorMember.closed).toBe(false);

    // A new conference goes to the replacement (the least loaded now), and works.
    const fresh = await engine.createConference({ rate: 8000 });
    expect(fresh.shardId).toBe(doomed.shardId);
    const member = await fresh.addMember({ leg: await engine.createAppLeg({ rate: 8000 }) });
    expect(member.state).toBe('active');
  });
});

describe('a flood of garbage at a leg', () => {
  // Short (0.2 s), so that the flood does not reach the other test files running beside this one.
  it('100,000 datagrams a second for 0.2 s are dropped and counted; the room misses no tick and its listener no frame', async () => {
    const { engine, pool } = await start(1);
    const conference = await engine.createConference({ rate: 8000 });
    const talker = await SdpPeer.create(440);
    const listener = await SdpPeer.create(null);
    try {
      const joinedTalker = await conference.addMember({ sdp: talker.offer() });
      talker.follow(joinedTalker.sdp);
      talker.start();
      const joinedListener = await conference.addMember({ sdp: listener.offer() });
      listener.follow(joinedListener.sdp);
      await listener.waitFrames(10);

      // 2000 strangers, each sending 100 bytes of junk every 20 ms at the talker's port: 100,000/s, 10 rounds.
      const junk = Uint8Array.from({ length: 100 }, (_, i) => (i * 73 + 11) & 0xff);
      let done!: (stats: LoadGeneratorStats) => void;
      const finished = new Promise<LoadGeneratorStats>((resolve) => (done = resolve));
      const flood = new LoadGenerator({ streams: [{ members: 2000, frames: [junk] }], sockets: 20, rounds: 10, drainMs: 100, onDone: (stats) => done(stats) });
      const before = await clockOf(pool, conference);
      const framesBefore = listener.mark();
      const port = (joinedTalker.member.leg as RtpLeg).localPort;
      flood.start(Array.from({ length: 2000 }, () => ({ address: '127.0.0.1', port })));
      const sent = await finished;
      flood.stop();
      const after = await clockOf(pool, conference);
      const framesDuring = listener.mark() - framesBefore;
      expect(sent.sent).toBeGreaterThan(18_000);
      // Every tick ran, one per interval, and the listener got a frame for each (two in flight at the edges).
      const ticks = after.ticks - before.ticks;
      expect(ticks).toBe(Math.round((after.lastDeadlineMs - before.lastDeadlineMs) / conference.interval));
      expect(framesDuring).toBeGreaterThanOrEqual(ticks - 2);
      // What reached the socket was dropped as a stranger's; nothing of it was taken as the talker's.
      const stats = await joinedTalker.member.stats();
      expect(stats.droppedStranger).toBeGreaterThan(0);
      expect(stats.droppedStranger).toBeLessThanOrEqual(sent.sent);
      expect(stats.droppedInvalid).toBe(0);
      expect(joinedTalker.member.closed).toBe(false);
    } finally {
      talker.close();
      listener.close();
    }
  });
});

describe('member churn', () => {
  it('10,000 joins and leaves on RTP legs leave no leg, port or descriptor behind, and a bounded member list', async () => {
    const { engine, pool } = await start(1, { completedHistory: 100 });
    const conference = await engine.createConference({ rate: 8000 });
    const anchor = await conference.addMember({ leg: await engine.createAppLeg({ rate: 8000 }) });
    const baseline = { fds: openDescriptors(), members: (await pool.shards[0].request('stats')).members };
    const joins = 10_000;
    const batch = 50;
    let peak = 0;
    for (let done = 0; done < joins; done += batch) {
      const members: Member[] = await Promise.all(
        Array.from({ length: batch }, () => conference.addMember({ leg: { kind: 'rtp', codec: 'pcmu', symmetricLatching: true, timeoutMs: 0 } })),
      );
      peak = Math.max(peak, openDescriptors());
      await Promise.all(members.map((member) => member.update({ state: 'completed' })));
    }
    const stats = await pool.shards[0].request('stats');
    expect(stats.members).toBe(baseline.members);
    expect(conference.activeMembers).toBe(1);
    expect(conference.listMembers()).toHaveLength(1 + 100);
    expect(anchor.closed).toBe(false);
    // Every socket closed: the process holds the descriptors it held before (the peak shows they were opened).
    expect(peak).toBeGreaterThanOrEqual(baseline.fds + batch);
    // The media thread closes a leg's sockets when it applies the removal: ask the shard once more
    // (a round trip through its command queue) until they are gone.
    for (let tries = 0; tries < 100 && openDescriptors() > baseline.fds; tries++) await pool.shards[0].request('stats');
    expect(openDescriptors()).toBeLessThanOrEqual(baseline.fds);
    // Every port is free again: a leg can bind each one of the range a batch used.
    const again = await Promise.all(Array.from({ length: batch }, () => conference.addMember({ leg: { kind: 'rtp', codec: 'pcmu', symmetricLatching: true } })));
    expect(again.every((member) => member.state === 'active')).toBe(true);
  }, 300_000);
});
