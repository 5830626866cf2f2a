// Callback URLs that fail while a 500-member room runs: one never answers, one answers slowly,
// one returns 500s. The room's media goes on (its listener hears the talker in every tick), and
// every event is either delivered (to the callback or the fallback) or counted as dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import type { ConfmixServer } from '../../src/http/server.ts';
import type { EngineCallbackEvent } from '../../src/index.ts';
import { RtpPeer } from '../helpers/rtpPeer.ts';
import { goertzelAmplitude } from '../helpers/audio.ts';
import { ALICE, CallbackReceiver, addMemberTo, basic, createConference, testServer } from './serverHelpers.ts';

const ROOM_MEMBERS = 500;
const EVENTS_PER_CONFERENCE = 60;
const asAlice = { authorization: basic(ALICE) };
let server: ConfmixServer;
let receiver: CallbackReceiver;
const peers: RtpPeer[] = [];

beforeAll(async () => {
  server = await testServer({ callbackQueue: 20, rtpPortMin: 40000, rtpPortMax: 41199, shutdownTimeoutMs: 500 });
  receiver = await CallbackReceiver.start();
  receiver.behaviours.set('/never', { delayMs: 120_000 });
  receiver.behaviours.set('/slow', { delayMs: 150 });
  receiver.behaviours.set('/error', { status: 500 });
});
afterAll(async () => {
  for (const peer of peers) peer.close();
  await server.close();
  await receiver.close();
});

const call = (options: InjectOptions) => server.app.inject(options);
const create = (body: Record<string, unknown>) => createConference(server, body);
const addMember = (url: string, rtp: Record<string, unknown>) =>
  addMemberTo(server, url, { rtp: { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 9, timeoutMs: 0, ...rtp } });
const deliveries = async (): Promise<Record<string, number>> =>
  Object.fromEntries((await server.metrics.callbackDeliveries.get()).values.map((v) => [v.labels.result, v.value]));

describe('failing callback URLs beside a 500-member room', () => {
  it('leave the room\'s media alone and account for every event', async () => {
    const emitted = new Map<string, number>();
    const count = ({ conference }: EngineCallbackEvent): void => void emitted.set(conference.id, (emitted.get(conference.id) ?? 0) + 1);
    server.engine.on('event', count);
    const never = await create({ callbackUrl: receiver.url('/never'), fallbackUrl: receiver.url('/error'), callbackTimeout: '300', 'comfort-noise': false, 'energy-level': 0 });
    const slow = await create({ callbackUrl: receiver.url('/slow'), fallbackUrl: receiver.url('/fallback-of-slow'), callbackTimeout: '2000' });
    const failing = await create({ callbackUrl: receiver.url('/error'), fallbackUrl: receiver.url('/fallback-of-error') });

    // The room: a talker, a listener, and 498 more members that listen (sent to the discard port).
    const talker = await RtpPeer.create();
    const listener = await RtpPeer.create();
    peers.push(talker, listener);
    const speaking = await addMember(never.url, { remotePort: talker.port });
    const hearing = await addMember(never.url, { remotePort: listener.port });
    for (let i = 2; i < ROOM_MEMBERS; i += 25) await Promise.all(Array.from({ length: Math.min(25, ROOM_MEMBERS - i) }, () => addMember(never.url, {})));
    expect(server.engine.getConference(never.id).members.filter((m) => !m.closed)).toHaveLength(ROOM_MEMBERS);
    const slowMember = await addMember(slow.url, {});
    const failingMember = await addMember(failing.url, {});
    talker.sendTone(speaking.localPort, 1000, 8000);
    await listener.waitForPackets(25);

    // A storm of member events in all three conferences, while the room's listener is counted.
    const ticksBefore = (await server.engine.getConference(never.id).clockStats()).ticks;
    const heardFrom = listener.received.length;
    for (let i = 0; i < EVENTS_PER_CONFERENCE; i++) {
      const mute = i % 2 === 0;
      const answers = await Promise.all([hearing.url, slowMember.url, failingMember.url].map((url) => call({ method: 'POST', url, headers: asAlice, payload: { mute } })));
      for (const answer of answers) expect(answer.statusCode).toBe(200);
    }
    const ticksAfter = (await server.engine.getConference(never.id).clockStats()).ticks;
    await listener.waitForPackets(heardFrom + (ticksAfter - ticksBefore) - 2);

    // Media: one mixed packet per tick reached the listener, carrying the talker's tone.
    const heard = listener.received.length - heardFrom;
    expect(heard).toBeGreaterThanOrEqual(ticksAfter - ticksBefore - 2);
    expect(goertzelAmplitude(listener.audio(heardFrom), 1000, 8000)).toBeGreaterThan(4000);

    // Events: the three conferences go on emitting through a bounded queue; once the queues
    // drain, each event was delivered, delivered to the fallback, failed both, or dropped.
    // The talker stops first, so no talking event is raised after the queues drain.
    talker.stopSending();
    const room = server.engine.getConference(never.id);
    while (room.members.some((m) => m.talking)) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await server.settleCallbacks(30_000)).toBe(true);
    server.engine.off('event', count);
    const results = await deliveries();
    const total = [...emitted.values()].reduce((a, b) => a + b, 0);
    expect(emitted.get(never.id)).toBeGreaterThanOrEqual(ROOM_MEMBERS + EVENTS_PER_CONFERENCE);
    expect(emitted.get(slow.id)).toBeGreaterThanOrEqual(EVENTS_PER_CONFERENCE);
    expect(emitted.get(failing.id)).toBeGreaterThanOrEqual(EVENTS_PER_CONFERENCE);
    expect((results.delivered ?? 0) + (results.fallback ?? 0) + (results.failed ?? 0) + (results.dropped ?? 0)).toBe(total);
    // The never-answering room overflowed its queue; the 500s went to their fallback.
    expect(results.dropped).toBeGreaterThan(0);
    expect(results.failed).toBeGreaterThan(0);
    expect(receiver.on('/fallback-of-error').length).toBe(results.fallback);
    expect(receiver.on('/slow').length).toBe(results.delivered);
  }, 120_000);
});
