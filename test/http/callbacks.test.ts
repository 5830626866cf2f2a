// Callbacks to a real local HTTP receiver: order, the POST and GET forms, the fallback after a
// timeout, an error status or a dropped connection, a slow URL under 100 events/s (bounded queue,
// counted drops, the API never waits), and a dead URL while media keeps flowing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import type { ConfmixServer } from '../../src/http/server.ts';
import { RtpPeer } from '../helpers/rtpPeer.ts';
import { goertzelAmplitude } from '../helpers/audio.ts';
import { ALICE, CallbackReceiver, addMemberTo, basic, createConference, testServer } from './serverHelpers.ts';

const PUBLIC = 'http://api.example.test';
let server: ConfmixServer;
let receiver: CallbackReceiver;
const peers: RtpPeer[] = [];
const asAlice = { authorization: basic(ALICE) };

beforeAll(async () => {
  server = await testServer({ publicUrl: PUBLIC, callbackQueue: 20, shutdownTimeoutMs: 500 }, 28000);
  receiver = await CallbackReceiver.start();
});
afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

const call = (options: InjectOptions) => server.app.inject(options);
const create = (body: Record<string, unknown>) => createConference(server, body);
const addMember = (url: string, body: Record<string, unknown>) => addMemberTo(server, url, body);
const rtp = { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 9, timeoutMs: 0 };
const deliveries = async (result: string): Promise<number> => (await server.metrics.callbackDeliveries.get()).values.find((v) => v.labels.result === result)?.value ?? 0;

describe('callbacks', () => {
  it('POSTs every event of a conference in order, with absolute URIs and the tag', async () => {
    const { url, id } = await create({ callbackUrl: receiver.url('/order'), tag: 'ordered' });
    const m1 = await addMember(url, { callId: 'one', rtp });
    const m2 = await addMember(url, { callId: 'two', rtp });
    await call({ method: 'POST', url: m1.url, headers: asAlice, payload: { mute: 'true' } });
    await call({ method: 'POST', url: m2.url, headers: asAlice, payload: { state: 'completed' } });
    await call({ method: 'POST', url, headers: asAlice, payload: { state: 'completed' } });
    await receiver.until((r) => r.some((c) => c.path === '/order' && c.body?.eventType === 'conference' && c.body.status === 'completed'));
    const got = receiver.on('/order');
    expect(got.every((c) => c.method === 'POST')).toBe(true);
    const summary = got.map((c) => {
      const b = c.body!;
      return b.eventType === 'conference' ? `conference ${b.status}` : `${b.callId} ${b.state}${b.mute ? ' muted' : ''}`;
    });
    expect(summary).toEqual([
      'conference created',
      'one active',
      'two active',
      'one active muted',
      'two completed',
      'one completed muted',
      'conference completed',
    ]);
    const base = `${PUBLIC}/v1/users/alice/conferences/${id}`;
    for (const c of got) {
      expect(c.body).toMatchObject({ conferenceId: id, conferenceUri: base, tag: 'ordered' });
      if (c.body!.eventType === 'conference-member') expect(c.body!.memberUri).toBe(`${base}/members/${c.body!.memberId as string}`);
    }
    expect(got[1].body).toMatchObject({ memberId: m1.id, activeMembers: 1, hold: false, mute: false });
  });

  it('sends the same fields as query parameters with callbackHttpMethod GET', async () => {
    const { id } = await create({ callbackUrl: receiver.url('/get'), callbackHttpMethod: 'GET', tag: 'by-get' });
    await receiver.until((r) => r.some((c) => c.path === '/get'));
    const [first] = receiver.on('/get');
    expect(first.method).toBe('GET');
    expect(first.body).toBeNull();
    expect(first.query).toMatchObject({ eventType: 'conference', status: 'created', conferenceId: id, tag: 'by-get', conferenceUri: `${PUBLIC}/v1/users/alice/conferences/${id}` });
  });

  it('sends the event to fallbackUrl after a timeout, an error status or a dropped connection', async () => {
    receiver.behaviours.set('/slow', { delayMs: 3000 });
    receiver.behaviours.set('/error', { status: 503 });
    receiver.behaviours.set('/hangup', { destroy: true });
    const fallbacksBefore = await deliveries('fallback');
    const cases = [
      await create({ callbackUrl: receiver.url('/slow'), callbackTimeout: '200', fallbackUrl: receiver.url('/fallback') }),
      await create({ callbackUrl: receiver.url('/error'), fallbackUrl: receiver.url('/fallback') }),
      await create({ callbackUrl: receiver.url('/hangup'), fallbackUrl: receiver.url('/fallback') }),
    ];
    await receiver.until((r) => cases.every(({ id }) => r.some((c) => c.path === '/fallback' && c.body?.conferenceId === id)));
    expect(await server.settleCallbacks(10_000)).toBe(true);
    for (const { id } of cases) {
      const fallback = receiver.on('/fallback').filter((c) => c.body?.conferenceId === id);
      expect(fallback.map((c) => c.body!.eventType)).toEqual(['conference']);
      expect(fallback[0].body!.status).toBe('created');
    }
    expect(receiver.on('/error').map((c) => c.body!.status)).toEqual(['created']);
    expect((await deliveries('fallback')) - fallbacksBefore).toBe(3);
  });

  it('keeps a GET callback URL\'s own query and adds the fields after it', async () => {
    const { id } = await create({ callbackUrl: `${receiver.url('/get-query')}?account=7`, callbackHttpMethod: 'GET', tag: 'a b&c' });
    await receiver.until((r) => r.some((c) => c.path === '/get-query'));
    const [first] = receiver.on('/get-query');
    expect(first.query).toMatchObject({ account: '7', eventType: 'conference', conferenceId: id, tag: 'a b&c' });
  });

  it('delivers the events of many conferences concurrently, one at a time per conference', async () => {
    // The receiver answers only once 24 requests wait: delivered one conference after another,
    // the first would time out and go to the fallback.
    const conferences = 24;
    receiver.behaviours.set('/together', { holdUntil: conferences });
    const fallbacksBefore = await deliveries('fallback');
    const created = await Promise.all(
      Array.from({ length: conferences }, () => create({ callbackUrl: receiver.url('/together'), callbackTimeout: '10000', fallbackUrl: receiver.url('/together-fallback') })),
    );
    await receiver.until((r) => r.filter((c) => c.path === '/together').length === conferences);
    expect(await server.settleCallbacks(10_000)).toBe(true);
    expect(new Set(receiver.on('/together').map((c) => c.body!.conferenceId))).toEqual(new Set(created.map((c) => c.id)));
    expect(receiver.mostHeld.get('/together')).toBe(conferences);
    expect(receiver.on('/together-fallback')).toEqual([]);
    expect((await deliveries('fallback')) - fallbacksBefore).toBe(0);
  });

  it('counts an event whose callback and fallback both fail, and goes on with the next', async () => {
    receiver.behaviours.set('/broken', { status: 500 });
    const failedBefore = await deliveries('failed');
    const { url } = await create({ callbackUrl: receiver.url('/broken'), fallbackUrl: receiver.url('/broken') });
    await call({ method: 'POST', url, headers: asAlice, payload: { callbackUrl: receiver.url('/healed') } });
    await call({ method: 'POST', url, headers: asAlice, payload: { state: 'completed' } });
    await receiver.until((r) => r.some((c) => c.path === '/healed'));
    expect(await server.settleCallbacks(10_000)).toBe(true);
    expect(receiver.on('/healed').map((c) => c.body!.status)).toEqual(['completed']);
    expect((await deliveries('failed')) - failedBefore).toBe(1);
  });

  it('keeps a slow URL under 100 events/s to a bounded queue, dropping the oldest, while the API and other conferences go on', async () => {
    receiver.behaviours.set('/crawl', { delayMs: 100 });
    const droppedBefore = await deliveries('dropped');
    const emittedPayloads: string[] = [];
    const count = ({ callback, payload }: { callback: { callbackUrl?: string }; payload: object }): void =>
      void (callback.callbackUrl === receiver.url('/crawl') && emittedPayloads.push(JSON.stringify(payload)));
    server.engine.on('event', count);
    const slow = await create({ callbackUrl: receiver.url('/crawl'), callbackTimeout: '5000' });
    const other = await create({ callbackUrl: receiver.url('/brisk') });
    const member = await addMember(slow.url, { rtp });
    const otherMember = await addMember(other.url, { rtp });
    // 200 mute changes at up to 100 a second, each sent once the previous one is answered
    // (overlapping updates may apply out of order and repeat a state, which raises no event):
    // 200 conference-member events against a URL that takes 10 a second.
    const statuses: number[] = [];
    for (let n = 0; n < 200; n++) {
      const paced = new Promise((resolve) => setTimeout(resolve, 10));
      statuses.push((await call({ method: 'POST', url: member.url, headers: asAlice, payload: { mute: n % 2 === 0 } })).statusCode);
      await paced;
    }
    await call({ method: 'POST', url: otherMember.url, headers: asAlice, payload: { mute: true } });
    await receiver.until((r) => r.filter((c) => c.path === '/brisk').length === 3);
    // The API answered every change at once; the other conference's events were not held up.
    expect(statuses.every((s) => s === 200)).toBe(true);
    // At most the queue's 20 plus one in flight per conference.
    expect(server.pendingCallbacks).toBeLessThanOrEqual(20 + 2);
    await call({ method: 'POST', url: slow.url, headers: asAlice, payload: { state: 'completed' } });
    await receiver.until((r) => r.some((c) => c.path === '/crawl' && c.body?.eventType === 'conference' && c.body.status === 'completed'));
    expect(await server.settleCallbacks(10_000)).toBe(true);
    server.engine.off('event', count);
    const crawled = receiver.on('/crawl');
    const dropped = (await deliveries('dropped')) - droppedBefore;
    // Every event was either delivered or counted as dropped; what was delivered kept its order.
    expect(dropped).toBeGreaterThan(100);
    expect(emittedPayloads.length).toBeGreaterThan(200);
    expect(crawled.length + dropped).toBe(emittedPayloads.length);
    let at = -1;
    for (const c of crawled) {
      const { conferenceUri: _c, memberUri: _m, ...payload } = c.body!;
      at = emittedPayloads.indexOf(JSON.stringify(payload), at + 1);
      expect(at).toBeGreaterThanOrEqual(0);
    }
  }, 30_000);

  it('keeps media flowing while a conference\'s callback URL never answers', async () => {
    receiver.behaviours.set('/dead', { delayMs: 60_000 });
    const { url } = await create({ callbackUrl: receiver.url('/dead'), callbackTimeout: '10000', 'comfort-noise': false, 'energy-level': 0 });
    const talker = await RtpPeer.create();
    const listener = await RtpPeer.create();
    peers.push(talker, listener);
    const speaking = await addMember(url, { rtp: { ...rtp, remotePort: talker.port } });
    const hearing = await addMember(url, { rtp: { ...rtp, remotePort: listener.port } });
    talker.sendTone(speaking.localPort, 1000, 8000);
    const [before] = await server.engine.shardStats();
    // 100 member events pile up behind the dead URL while the listener's packets are counted.
    for (let i = 0; i < 100; i++) expect((await call({ method: 'POST', url: hearing.url, headers: asAlice, payload: { mute: i % 2 === 0 } })).statusCode).toBe(200);
    const heardFrom = listener.received.length;
    await listener.waitForPackets(heardFrom + 50);
    const [after] = await server.engine.shardStats();
    expect(after.ticks - before.ticks).toBeGreaterThanOrEqual(50);
    expect(after.overruns).toBe(before.overruns);
    const audio = listener.audio(heardFrom);
    expect(goertzelAmplitude(audio, 1000, 8000)).toBeGreaterThan(4000);
    // The dead URL holds one event in flight and a full queue of 20; the rest were dropped.
    expect(server.pendingCallbacks).toBe(21);
  }, 20_000);
});
