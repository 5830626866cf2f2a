// The mediasoup browser path's signalling (browserTransport 'mediasoup'), without a browser: the
// router's capabilities, a session's two WebRtcTransports on loopback, bad input refused with a
// code and nothing changed, keys before a join refused, closing; a worker that dies ends its members
// and is replaced; and a werift server without them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import { loadServerConfig } from '../../src/http/config.ts';
import { once } from 'node:events';
import { InvalidArgumentError, createEngine } from '../../src/index.ts';
import type { MemberRemovedReason } from '../../src/index.ts';
import { MediasoupBrowsers } from '../../src/http/mediasoupBrowsers.ts';
import { loadMediasoupWithWorker } from './mediasoup.ts';

const USER = { userId: 'msroutes', token: 'msroutes-token', secret: 'msroutes-secret' };
const auth = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;
const servers: ConfmixServer[] = [];

async function start(browserTransport: 'werift' | 'mediasoup', rtpPortMin: number): Promise<string> {
  const server = await createServer({ config: { shards: 1, rtpPortMin, rtpPortMax: rtpPortMin + 49, port: 0, users: [USER], logLevel: 'silent', browserTransport }, logger: pino({ level: 'silent' }) });
  servers.push(server);
  return server.listen();
}

function call(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { ...init, headers: { authorization: auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) } });
}

async function conference(base: string): Promise<string> {
  const created = await call(base, `/v1/users/${USER.userId}/conferences`, { method: 'POST', body: '{}' });
  expect(created.status).toBe(201);
  return created.headers.get('location')!;
}

beforeAll(async () => {
  await loadMediasoupWithWorker();
}, 600_000);

afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('the mediasoup browser transport', () => {
  it('is chosen by --browser-transport / CONFMIX_BROWSER_TRANSPORT, werift by default; anything else is refused', () => {
    expect(loadServerConfig([], {}).browserTransport).toBe('werift');
    expect(loadServerConfig(['--browser-transport', 'mediasoup'], {}).browserTransport).toBe('mediasoup');
    expect(loadServerConfig([], { CONFMIX_BROWSER_TRANSPORT: 'mediasoup' }).browserTransport).toBe('mediasoup');
    expect(() => loadServerConfig(['--browser-transport=janus'], {})).toThrow(InvalidArgumentError);
  });

  it('signals a session: capabilities, two loopback transports, refusals with codes, keys only once joined, closing', async () => {
    const base = await start('mediasoup', 27600);
    expect(await (await fetch(`${base}/softphone/transport.json`)).json()).toEqual({ transport: 'mediasoup' });
    const conferenceUrl = await conference(base);
    const capabilities = (await (await call(base, `${conferenceUrl}/mediasoup`)).json()) as { routerRtpCapabilities: { codecs: Array<{ mimeType: string }> } };
    expect(capabilities.routerRtpCapabilities.codecs.map((c) => c.mimeType)).toEqual(['audio/opus']);
    expect((await call(base, `/v1/users/${USER.userId}/conferences/conf-nope/mediasoup`)).status).toBe(404);

    const opened = await call(base, `${conferenceUrl}/mediasoup/sessions`, { method: 'POST', body: '{}' });
    expect(opened.status).toBe(201);
    const session = (await opened.json()) as { sessionId: string; send: { id: string; iceCandidates: Array<{ address: string; protocol: string }> }; recv: { id: string } };
    expect(session.send.id).not.toBe(session.recv.id);
    expect(session.send.iceCandidates.map((c) => [c.address, c.protocol])).toEqual([['127.0.0.1', 'udp']]);
    const path = `${conferenceUrl}/mediasoup/sessions/${session.sessionId}`;

    const badTransport = await call(base, `${path}/connect`, { method: 'POST', body: JSON.stringify({ transportId: 'nope', dtlsParameters: { fingerprints: [] } }) });
    expect(badTransport.status).toBe(400);
    expect(await badTransport.json()).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const badProduce = await call(base, `${path}/produce`, { method: 'POST', body: JSON.stringify({ rtpParameters: { codecs: [] }, rtpCapabilities: {} }) });
    expect(badProduce.status).toBe(400);
    expect(await badProduce.json()).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    const earlyKey = await call(base, `${path}/keys`, { method: 'POST', body: JSON.stringify({ key: '0' }) });
    expect(earlyKey.status).toBe(409);
    expect(((await (await call(base, `${conferenceUrl}/members`)).json()) as unknown[]).length).toBe(0);

    expect((await call(base, path, { method: 'DELETE' })).status).toBe(200);
    expect((await call(base, path, { method: 'DELETE' })).status).toBe(404);
    expect((await call(base, `${path}/keys`, { method: 'POST', body: JSON.stringify({ key: '0' }) })).status).toBe(404);
  });

  it('replaces a worker that dies: its members leave (mediasoup-closed), sessions close, new joins work', async () => {
    const engine = await createEngine({ shards: 1, portMin: 27700, portMax: 27749 });
    const browsers = await MediasoupBrowsers.create({ listenIp: '127.0.0.1', log: pino({ level: 'silent' }) });
    try {
      const conference = await engine.createConference({});
      // A member outside mediasoup keeps the conference going when the mediasoup members leave.
      const stays = await conference.addMember({ callId: 'stays' });
      // A browser's producer as mediasoup-client would declare it (no media needs to flow to join).
      const join = async (ssrc: number) => {
        const session = await browsers.open(conference);
        const { router } = await browsers.room(conference);
        const rtpParameters = { codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }], encodings: [{ ssrc }] };
        return browsers.produce(conference, session, { rtpParameters, rtpCapabilities: router.rtpCapabilities, memberOptions: {} });
      };
      const first = await join(0x1001);
      const second = await join(0x1002);
      expect(browsers.sessions).toBe(2);
      const dead = browsers.workerPid;
      const reasons = Promise.all([first.member, second.member].map((m) => once(m, 'close') as Promise<[MemberRemovedReason]>));
      process.kill(dead, 'SIGKILL');
      expect((await reasons).map(([reason]) => reason)).toEqual(['mediasoup-closed', 'mediasoup-closed']);
      expect(browsers.sessions).toBe(0);
      expect([conference.closed, stays.closed]).toEqual([false, false]);
      // The next join gets a new worker and a new room.
      const third = await join(0x1003);
      expect(browsers.workerPid).not.toBe(dead);
      expect(third.member.state).toBe('active');
      expect(browsers.sessions).toBe(1);
    } finally {
      browsers.closeAll();
      await engine.close();
    }
  });

  it('is absent from a werift server', async () => {
    const base = await start('werift', 27650);
    expect(await (await fetch(`${base}/softphone/transport.json`)).json()).toEqual({ transport: 'werift' });
    const conferenceUrl = await conference(base);
    expect((await call(base, `${conferenceUrl}/mediasoup`)).status).toBe(404);
  });
});
