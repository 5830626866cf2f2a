// Cluster mode with three servers as three hosts: network namespaces joined by a bridge, Redis
// from Debian's redis-server, each confmix server in its own namespace. Runs as root (CI does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createOffer } from '../../src/index.ts';
import { goertzelAmplitude } from '../helpers/audio.ts';
import { CallbackReceiver } from '../http/serverHelpers.ts';
import { BridgePeer, canMakeNamespaces, ClusterLab, LAB_AUTH } from './clusterLab.ts';
import type { LabServer } from './clusterLab.ts';

const root = canMakeNamespaces();
if (!root && process.env.CI) throw new Error('cluster tests need root with ip and redis-server (CI runs as root)');

async function api(server: LabServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; json: any }> {
  const answer = await request(`${server.url}/v1/users/alice${path}`, {
    method: method as 'GET',
    headers: { authorization: LAB_AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.body.text();
  return { status: answer.statusCode, headers: answer.headers as Record<string, string>, json: text ? JSON.parse(text) : undefined };
}

async function kazoo(server: LabServer, method: string, path: string, data?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const answer = await request(`${server.url}/v2/accounts/acct1/conferences${path}`, {
    method: method as 'GET',
    headers: { 'x-auth-token': 'kazoo-token', ...(data !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: data === undefined ? undefined : JSON.stringify({ data }),
  });
  return { status: answer.statusCode, json: await answer.body.json() };
}

async function waitFor<T>(what: () => Promise<T | undefined> | T | undefined, label: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await what();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${label}`);
}

async function ownerOf(lab: ClusterLab, conferenceId: string): Promise<LabServer> {
  const record = await waitFor(async () => {
    const { Redis } = await import('ioredis');
    const redis = new Redis(lab.redisUrl);
    try {
      const json = await redis.get(`confmix:conference:${conferenceId}`);
      return json ? (JSON.parse(json) as { owner: string }) : undefined;
    } finally {
      redis.disconnect();
    }
  }, 'the conference record');
  return lab.servers.find((s) => s?.id === record.owner)!;
}

const idOf = (location: string): string => location.slice(location.lastIndexOf('/') + 1);

// The tone a peer hears, over its last second.
async function heard(peer: BridgePeer, freq: number): Promise<number> {
  await peer.waitForMore(50);
  return goertzelAmplitude(peer.lastAudio(50), freq, 8000);
}

describe.runIf(root)('cluster mode on three servers in network namespaces', () => {
  const lab = new ClusterLab();
  let receiver: CallbackReceiver;
  const peers: BridgePeer[] = [];

  beforeAll(async () => {
    await lab.setUp(3);
    // s1's conferences cascade over Opus trunks, the others' over L16.
    await Promise.all([0, 1, 2].map((i) => lab.startServer(i, ['--members-per-server', '2', ...(i === 1 ? ['--trunk-codec', 'opus'] : []), ...(i === 2 ? ['--drain'] : [])])));
    receiver = await CallbackReceiver.start(lab.hostAddress);
  }, 60_000);

  afterAll(async () => {
    if (process.env.LAB_DEBUG) for (const s of lab.servers) console.log(s.id, s.output.join(''));
    for (const peer of peers) peer.close();
    await receiver?.close();
    await lab.close();
  }, 30_000);

  async function peer(): Promise<BridgePeer> {
    const p = await BridgePeer.create(lab.hostAddress);
    peers.push(p);
    return p;
  }

  async function joinRtp(server: LabServer, conferenceId: string, p: BridgePeer, extra: Record<string, string> = {}): Promise<{ memberId: string; address: string; port: number }> {
    const answer = await api(server, 'POST', `/conferences/${conferenceId}/members`, { rtp: { codec: 'pcmu', remoteAddress: lab.hostAddress, remotePort: p.port, telephoneEventPayloadType: 101 } }, extra);
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);
    return { memberId: idOf(answer.headers.location), address: answer.json.leg.localAddress === '0.0.0.0' ? '' : answer.json.leg.localAddress, port: answer.json.leg.localPort };
  }

  it('places new conferences on the least-loaded server, and every route works through every server', async () => {
    const [a, b, c] = lab.servers;
    const created = await api(a, 'POST', '/conferences', { tag: 'placed' });
    expect(created.status).toBe(201);
    const first = idOf(created.headers.location);
    // A second one goes elsewhere once the first has a member (the load the heartbeat reports).
    const owner = await ownerOf(lab, first);
    const p = await peer();
    await joinRtp(a, first, p);
    await waitFor(async () => {
      const { Redis } = await import('ioredis');
      const redis = new Redis(lab.redisUrl);
      const load = JSON.parse((await redis.get(`confmix:node:${owner.id}:alive`)) ?? '{}') as { members?: number };
      redis.disconnect();
      return load.members === 1 ? true : undefined;
    }, 'the owner reporting its member');
    const second = idOf((await api(b, 'POST', '/conferences', {})).headers.location);
    expect((await ownerOf(lab, second)).id).not.toBe(owner.id);

    for (const server of [a, b, c]) {
      const got = await api(server, 'GET', `/conferences/${first}`);
      expect(got.status).toBe(200);
      expect(got.json).toMatchObject({ id: first, state: 'created', tag: 'placed', activeMembers: 1 });
      const members = await api(server, 'GET', `/conferences/${first}/members`);
      expect(members.json).toHaveLength(1);
      const member = await api(server, 'GET', `/conferences/${first}/members/${members.json[0].id}`);
      expect(member.json).toMatchObject({ id: members.json[0].id, state: 'active' });
      const list = await api(server, 'GET', '/conferences');
      expect(list.json.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([first, second]));
    }
    // An SDP offer through a server that is not the owner: the answer names the owner's RTP address.
    const via = [a, b, c].find((s) => s.id !== owner.id)!;
    const offer = createOffer({ localAddress: lab.hostAddress, localPort: 9, codecs: ['pcmu'], direction: 'sendonly' }).offerSdp;
    const sdpJoin = await request(`${via.url}/v1/users/alice/conferences/${first}/members`, { method: 'POST', headers: { authorization: LAB_AUTH, 'content-type': 'application/sdp' }, body: offer });
    const answerSdp = await sdpJoin.body.text();
    expect(sdpJoin.statusCode).toBe(201);
    expect(sdpJoin.headers['content-type']).toMatch(/application\/sdp/);
    expect(answerSdp).toContain(`c=IN IP4 ${owner.address}`);
    expect(answerSdp).not.toContain(`c=IN IP4 ${via.address}`);
    expect((await api(c, 'DELETE', `/conferences/${first}/members/${idOf(sdpJoin.headers.location as string)}`)).status).toBe(200);
    expect((await api(c, 'POST', `/conferences/${first}`, { mute: true })).status).toBe(200);
    expect((await api(b, 'GET', `/conferences/${first}`)).json.mute).toBe(true);
    expect((await api(c, 'GET', '/conferences/conf-nope')).status).toBe(404);
    expect((await api(b, 'POST', `/conferences/${second}`, { state: 'completed' })).status).toBe(200);
    expect((await api(a, 'GET', `/conferences/${second}`)).json.state).toBe('completed');
    expect((await api(a, 'POST', `/conferences/${first}`, { state: 'completed' })).status).toBe(200);
  });

  it('members joining through different servers hear each other; SSE on a third server carries the events', async () => {
    const [a, b, c] = lab.servers;
    const conferenceId = idOf((await api(a, 'POST', '/conferences', {})).headers.location);
    const owner = await ownerOf(lab, conferenceId);
    const sse = await request(`${c.url}/v1/users/alice/events?conferenceId=${conferenceId}`, { headers: { authorization: LAB_AUTH } });
    const seen: string[] = [];
    sse.body.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    const p1 = await peer();
    const p2 = await peer();
    const m1 = await joinRtp(a, conferenceId, p1);
    const m2 = await joinRtp(b, conferenceId, p2);
    p1.send(owner.address, m1.port, 440, 8000);
    p2.send(owner.address, m2.port, 1000, 8000);
    await waitFor(async () => ((await heard(p2, 440)) > 1000 ? true : undefined), 'p2 hearing p1');
    expect(await heard(p2, 440)).toBeGreaterThan(1000);
    expect(await heard(p2, 1000)).toBeLessThan(100);
    expect(await heard(p1, 1000)).toBeGreaterThan(1000);
    expect(await heard(p1, 440)).toBeLessThan(100);
    await waitFor(() => (seen.join('').split('"eventType":"conference-member"').length > 2 ? true : undefined), 'member events on the third server');
    const events = seen.join('');
    expect(events).toContain(m1.memberId);
    expect(events).toContain(m2.memberId);
    sse.body.destroy();
    p1.close();
    p2.close();
    await api(b, 'POST', `/conferences/${conferenceId}`, { state: 'completed' });
  });

  it('cascades a conference onto a satellite: members hear the others and never themselves; DTMF and conference mute apply everywhere', async () => {
    const [a, b] = lab.servers;
    const conferenceId = idOf((await api(a, 'POST', '/conferences', {})).headers.location);
    const home = await ownerOf(lab, conferenceId);
    const other = lab.servers.find((s) => s.id !== home.id && s.index !== 2)!;
    // Events of the satellite's member reach a listener on any server, under the home conference's id.
    const sse = await request(`${lab.servers[2].url}/v1/users/alice/events?conferenceId=${conferenceId}`, { headers: { authorization: LAB_AUTH } });
    const seen: string[] = [];
    sse.body.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    const p1 = await peer();
    const p2 = await peer();
    const m1 = await joinRtp(b, conferenceId, p1);
    const m2 = await joinRtp(a, conferenceId, p2, { 'x-confmix-node': other.id });
    p1.send(home.address, m1.port, 440, 8000);
    p2.send(other.address, m2.port, 1000, 8000);
    await waitFor(async () => ((await heard(p1, 1000)) > 1000 ? true : undefined), 'the home member hearing the satellite member');
    await waitFor(async () => ((await heard(p2, 440)) > 1000 ? true : undefined), 'the satellite member hearing the home member');
    expect(await heard(p1, 440)).toBeLessThan(100);
    expect(await heard(p2, 1000)).toBeLessThan(100);
    // The satellite member is reached through any server.
    for (const server of lab.servers.slice(0, 2)) {
      expect((await api(server, 'GET', `/conferences/${conferenceId}/members/${m2.memberId}`)).json).toMatchObject({ id: m2.memberId, mute: false });
      // The list holds both members, on both servers, and no trunk.
      const list = (await api(server, 'GET', `/conferences/${conferenceId}/members`)).json as Array<{ id: string }>;
      expect(list.map((m) => m.id).sort()).toEqual([m1.memberId, m2.memberId].sort());
      expect((await api(server, 'GET', `/conferences/${conferenceId}`)).json.activeMembers).toBe(2);
    }
    // DTMF 0 on the satellite mutes its member: silent for the home member too.
    p2.pressKey(0);
    await waitFor(() => (seen.join('').includes('"eventType":"dtmf"') ? true : undefined), 'the satellite member\'s DTMF event');
    const dtmf = seen.join('').split('\n').filter((line) => line.startsWith('data: ') && line.includes('"eventType":"dtmf"')).map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>)[0];
    expect(dtmf).toMatchObject({ conferenceId, memberId: m2.memberId, dtmfDigit: '0' });
    sse.body.destroy();
    await waitFor(async () => ((await api(b, 'GET', `/conferences/${conferenceId}/members/${m2.memberId}`)).json.mute === true ? true : undefined), 'the DTMF mute');
    await waitFor(async () => ((await heard(p1, 1000)) < 100 ? true : undefined), 'the satellite member silenced at home');
    p2.pressKey(0);
    await waitFor(async () => ((await heard(p1, 1000)) > 1000 ? true : undefined), 'the satellite member heard again');
    // A conference-wide mute on home applies on the satellite too.
    expect((await api(a, 'POST', `/conferences/${conferenceId}`, { mute: true })).status).toBe(200);
    await waitFor(async () => ((await heard(p1, 1000)) < 100 && (await heard(p2, 440)) < 100 ? true : undefined), 'silence on both servers');
    p1.close();
    p2.close();
    // Both members leave (through servers other than their own): the satellite ends, then home completes.
    expect((await api(a, 'DELETE', `/conferences/${conferenceId}/members/${m2.memberId}`)).status).toBe(200);
    expect((await api(other, 'DELETE', `/conferences/${conferenceId}/members/${m1.memberId}`)).status).toBe(200);
    await waitFor(async () => ((await api(other, 'GET', `/conferences/${conferenceId}`)).json.state === 'completed' ? true : undefined), 'home completing');
  });

  it('a conference at its members-per-server limit grows onto the least-loaded other server (an Opus trunk)', async () => {
    const [a, b, c] = lab.servers;
    const home = b;
    const conferenceId = idOf((await api(a, 'POST', '/conferences', {}, { 'x-confmix-node': home.id })).headers.location);
    const tones = [440, 1000, 1800];
    const members: Array<{ peer: BridgePeer; memberId: string }> = [];
    for (const [i, server] of [a, b, c].entries()) {
      const p = await peer();
      const joined = await joinRtp(server, conferenceId, p);
      members.push({ peer: p, memberId: joined.memberId });
      const { Redis } = await import('ioredis');
      const redis = new Redis(lab.redisUrl);
      const location = await redis.get(`confmix:member:${joined.memberId}`);
      redis.disconnect();
      // The first two are home's; the third joins a satellite.
      if (i < 2) expect(location).toBeNull();
      else expect(JSON.parse(location!).node).not.toBe(home.id);
      const node = i < 2 ? home : lab.servers.find((s) => s.id === JSON.parse(location!).node)!;
      p.send(node.address, joined.port, tones[i], 6000);
    }
    for (const [i, { peer: p }] of members.entries()) {
      const others = tones.filter((_, j) => j !== i);
      await waitFor(async () => ((await heard(p, others[0])) > 700 && (await heard(p, others[1])) > 700 ? true : undefined), `member ${i} hearing the other two`);
      expect(await heard(p, tones[i])).toBeLessThan(100);
    }
    for (const { peer: p } of members) p.close();
    await api(c, 'POST', `/conferences/${conferenceId}`, { state: 'completed' });
  });

  it('Kazoo: documents live in Redis, a join is placed, and every server reaches the live conference and its events', async () => {
    const [a, b, c] = lab.servers;
    const created = await kazoo(a, 'PUT', '', { name: 'cluster room' });
    expect(created.status).toBe(201);
    const documentId = created.json.data.id as string;
    expect((await kazoo(b, 'GET', `/${documentId}`)).json.data).toMatchObject({ id: documentId, name: 'cluster room' });
    // Participant events on a server other than the one the conference runs on.
    const { WebSocket } = await import('ws');
    const socket = new WebSocket(`${c.url.replace('http', 'ws')}/v2/websocket`);
    await new Promise((resolve) => socket.once('open', resolve));
    const messages: Record<string, unknown>[] = [];
    socket.on('message', (raw) => messages.push(JSON.parse(String(raw)) as Record<string, unknown>));
    socket.send(JSON.stringify({ action: 'subscribe', auth_token: 'kazoo-token', data: { account_id: 'acct1', binding: `conference.event.${documentId}.*` } }));
    await waitFor(() => messages.find((m) => m.action === 'reply' && m.status === 'success'), 'the subscription');
    const p1 = await peer();
    const joined = await kazoo(b, 'PUT', `/${documentId}/participants`, { rtp: { codec: 'pcmu', remoteAddress: lab.hostAddress, remotePort: p1.port } });
    expect(joined.status, JSON.stringify(joined.json)).toBe(201);
    for (const server of [a, b, c]) {
      const participants = await kazoo(server, 'GET', `/${documentId}/participants`);
      expect(participants.json.data).toHaveLength(1);
      expect((await kazoo(server, 'GET', `/${documentId}`)).json.data._read_only).toMatchObject({ members: 1 });
    }
    await waitFor(() => messages.find((m) => m.action === 'event' && m.name === 'add-member'), 'the participant event on another server');
    expect((await kazoo(c, 'PUT', `/${documentId}/participants`, { action: 'kick' })).status).toBe(200);
    await waitFor(async () => ((await kazoo(a, 'GET', `/${documentId}/participants`)).json.data.length === 0 ? true : undefined), 'the kick');
    // Deleting the document through yet another server completes its live conference.
    expect((await kazoo(a, 'DELETE', `/${documentId}`)).status).toBe(200);
    socket.close();
    p1.close();
  });

  it('draining: no new placements, exit once the last conference ends', async () => {
    const draining = lab.servers[2];
    const others = lab.servers.filter((s) => s.index !== 2);
    // A conference on the draining server, placed there explicitly.
    const conferenceId = idOf((await api(others[0], 'POST', '/conferences', {}, { 'x-confmix-node': draining.id })).headers.location);
    expect((await ownerOf(lab, conferenceId)).id).toBe(draining.id);
    draining.process.kill('SIGTERM');
    await waitFor(async () => {
      const { Redis } = await import('ioredis');
      const redis = new Redis(lab.redisUrl);
      const load = JSON.parse((await redis.get(`confmix:node:${draining.id}:alive`)) ?? '{}') as { draining?: boolean };
      redis.disconnect();
      return load.draining === true ? true : undefined;
    }, 'the drain to start');
    for (let i = 0; i < 3; i++) {
      const id = idOf((await api(others[0], 'POST', '/conferences', {})).headers.location);
      expect((await ownerOf(lab, id)).id).not.toBe(draining.id);
    }
    expect((await api(others[0], 'POST', '/conferences', {}, { 'x-confmix-node': draining.id })).status).toBe(503);
    expect(draining.process.exitCode).toBeNull();
    expect((await api(others[0], 'POST', `/conferences/${conferenceId}`, { state: 'completed' })).status).toBe(200);
    expect(await draining.exited).toBe(0);
  });
  it('a killed server: its conferences complete with node-lost, a survivor sends the final callback, new conferences go elsewhere', async () => {
    const [a] = lab.servers;
    const conferenceId = idOf((await api(a, 'POST', '/conferences', { callbackUrl: receiver.url('/cb') })).headers.location);
    const owner = await ownerOf(lab, conferenceId);
    const survivor = lab.servers.find((s) => s.id !== owner.id && s.process.exitCode === null && s.process.signalCode === null)!;
    // A Kazoo live conference on the same server, placed there by its first join.
    const documentId = (await kazoo(survivor, 'PUT', '', { name: 'lost room' })).json.data.id as string;
    const p1 = await peer();
    const joined = await kazoo(survivor, 'PUT', `/${documentId}/participants`, { rtp: { codec: 'pcmu', remoteAddress: lab.hostAddress, remotePort: p1.port } }, { 'x-confmix-node': owner.id });
    expect(joined.status).toBe(201);
    expect((await kazoo(survivor, 'GET', `/${documentId}`)).json.data._read_only.conference).toMatchObject({ state: 'live' });
    await lab.stopServer(owner.index, 'SIGKILL');
    const final = await waitFor(() => receiver.received.find((r) => r.body?.conferenceId === conferenceId && r.body?.status === 'completed'), 'the final callback');
    expect(final.body).toMatchObject({ eventType: 'conference', status: 'completed', reason: 'node-lost' });
    const got = await api(survivor, 'GET', `/conferences/${conferenceId}`);
    expect(got.json).toMatchObject({ id: conferenceId, state: 'completed' });
    expect((await api(survivor, 'POST', `/conferences/${conferenceId}`, { mute: true })).status).toBe(409);
    await waitFor(async () => ((await kazoo(survivor, 'GET', `/${documentId}`)).json.data._read_only.conference?.reason === 'node-lost' ? true : undefined), 'the Kazoo live record completed');
    expect((await kazoo(survivor, 'GET', `/${documentId}`)).json.data._read_only.conference).toMatchObject({ state: 'completed', reason: 'node-lost' });
    expect((await kazoo(survivor, 'GET', `/${documentId}/participants`)).json.data).toEqual([]);
    p1.close();
    const next = idOf((await api(survivor, 'POST', '/conferences', {})).headers.location);
    expect((await ownerOf(lab, next)).id).not.toBe(owner.id);
    await api(survivor, 'POST', `/conferences/${next}`, { state: 'completed' });
  });


  it('a lost Redis connection keeps media flowing, and the server reconnects and reports again', async () => {
    const running = lab.servers.find((s) => s.process.exitCode === null && s.process.signalCode === null)!;
    const conferenceId = idOf((await api(running, 'POST', '/conferences', {})).headers.location);
    const server = await ownerOf(lab, conferenceId);
    const p1 = await peer();
    const p2 = await peer();
    const m1 = await joinRtp(server, conferenceId, p1);
    const m2 = await joinRtp(server, conferenceId, p2);
    p1.send(server.address, m1.port, 440, 8000);
    p2.send(server.address, m2.port, 1000, 8000);
    await waitFor(async () => ((await heard(p2, 440)) > 1000 ? true : undefined), 'media before');
    await lab.stopRedis();
    // Two seconds of media (100 packets) with Redis gone: still the other member's tone.
    await p2.waitForMore(100);
    expect(goertzelAmplitude(p2.lastAudio(50), 440, 8000)).toBeGreaterThan(1000);
    await lab.startRedis();
    await waitFor(async () => {
      const { Redis } = await import('ioredis');
      const redis = new Redis(lab.redisUrl);
      try {
        return (await redis.exists(`confmix:node:${server.id}:alive`)) === 1 && (await redis.hexists('confmix:nodes', server.id)) === 1 ? true : undefined;
      } finally {
        redis.disconnect();
      }
    }, 'the server reporting to the new Redis');
    expect(await heard(p1, 1000)).toBeGreaterThan(1000);
    p1.close();
    p2.close();
  });
});

describe('cluster mode without Redis', () => {
  it('refuses to start with a clear error when Redis cannot be reached', async () => {
    const { createServer } = await import('../../src/http/server.ts');
    const { pino } = await import('pino');
    const error = await createServer({ config: { redis: 'redis://127.0.0.1:1', shards: 1, port: 0, logLevel: 'silent', users: [{ userId: 'u', token: 't', secret: 's' }] }, logger: pino({ level: 'silent' }) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_REDIS_UNREACHABLE' });
    expect((error as Error).message).toMatch(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1/);
  });
});
