// The Conference API over HTTP, route by route: the seed's examples and field names (string
// booleans and numbers included), every error status, and that a refused call changed nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerOffer, createOffer } from '../../src/index.ts';
import type { InjectOptions } from 'fastify';
import type { ConfmixServer } from '../../src/http/server.ts';
import { createServer } from '../../src/http/server.ts';
import { tempDir, writeToneWav } from '../engine/wavFiles.ts';
import { ALICE, BOB, basic, testServer } from './serverHelpers.ts';

let server: ConfmixServer;
const asAlice = { authorization: basic(ALICE) };
const asBob = { authorization: basic(BOB) };
let wav: string;

beforeAll(async () => {
  server = await testServer({}, 27000);
  wav = writeToneWav(tempDir('confmix-http-'), 'tone.wav', { freqHz: 440, seconds: 0.5 });
});
afterAll(async () => {
  await server.close();
});

const call = (options: InjectOptions) => server.app.inject(options);
const json = (body: string): any => JSON.parse(body);

async function createConference(body: Record<string, unknown> = { from: '+15550001' }, headers = asAlice, user = 'alice'): Promise<string> {
  const response = await call({ method: 'POST', url: `/v1/users/${user}/conferences`, headers, payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return response.headers.location as string;
}
async function get(url: string, headers = asAlice): Promise<any> {
  const response = await call({ method: 'GET', url, headers });
  expect(response.statusCode, response.body).toBe(200);
  return json(response.body);
}
const rtpLeg = { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 9 };
async function addRtpMember(conference: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await call({ method: 'POST', url: `${conference}/members`, headers: asAlice, payload: { rtp: rtpLeg, ...extra } });
  expect(response.statusCode, response.body).toBe(201);
  return response.headers.location as string;
}
function expectError(response: { statusCode: number; body: string }, status: number, code?: string): any {
  expect(response.statusCode, response.body).toBe(status);
  const body = json(response.body);
  expect(Object.keys(body).sort()).toEqual(['code', 'details', 'message']);
  if (code) expect(body.code).toBe(code);
  return body;
}

describe('POST /v1/users/{userId}/conferences', () => {
  it("creates a conference from each of the seed's three examples: 201, Location, no body", async () => {
    const one = await call({ method: 'POST', url: '/v1/users/alice/conferences', headers: { ...asAlice, 'content-type': 'application/json' }, payload: '{"from": "+15550001"}' });
    expect(one.statusCode).toBe(201);
    expect(one.headers.location).toMatch(/^\/v1\/users\/alice\/conferences\/conf-[0-9a-f-]{36}$/);
    expect(one.body).toBe('');
    const two = await createConference({ from: '+15550002', callbackUrl: 'http://my.callback.url', callbackTimeout: '2000', fallbackUrl: 'http://my.fallback.url' });
    expect(await get(two)).toMatchObject({ from: '+15550002', callbackUrl: 'http://my.callback.url', callbackTimeout: 2000, fallbackUrl: 'http://my.fallback.url', callbackHttpMethod: 'POST', profile: 'interpret_digits', state: 'created', activeMembers: 0 });
    const three = await createConference({ from: '+15550003', callbackUrl: 'http://my.callback.url', callbackTimeout: '2000', fallbackUrl: 'http://my.fallback.url', profile: 'passthru_digits' });
    expect((await get(three)).profile).toBe('passthru_digits');
  });

  it('takes the Kazoo profile fields and the tag', async () => {
    const url = await createConference({ from: '+1', tag: 'standup', 'energy-level': '300', 'max-members': 3, callbackHttpMethod: 'get' });
    expect(await get(url)).toMatchObject({ tag: 'standup', callbackHttpMethod: 'GET' });
  });

  it('refuses bad input, bad credentials and wrong content with the one error shape, creating nothing', async () => {
    const before = (await get('/v1/users/alice/conferences?size=1000')).length;
    const url = '/v1/users/alice/conferences';
    const anonymous = await call({ method: 'POST', url, payload: { from: '+1' } });
    expectError(anonymous, 401, 'ERR_UNAUTHORIZED');
    expect(anonymous.headers['www-authenticate']).toBe('Basic realm="confmix"');
    expectError(await call({ method: 'POST', url, headers: { authorization: basic({ token: ALICE.token, secret: 'wrong' }) }, payload: { from: '+1' } }), 401);
    expectError(await call({ method: 'POST', url, headers: { authorization: 'Bearer x' }, payload: { from: '+1' } }), 401);
    expectError(await call({ method: 'POST', url: '/v1/users/bob/conferences', headers: asAlice, payload: { from: '+1' } }), 404, 'ERR_NOT_FOUND');
    const tooSlow = expectError(await call({ method: 'POST', url, headers: asAlice, payload: { from: '+1', callbackTimeout: '20000' } }), 400);
    expect(tooSlow.details.field).toBe('callbackTimeout');
    expect(expectError(await call({ method: 'POST', url, headers: asAlice, payload: { from: '+1', callbackTimeout: 'soon' } }), 400).details.field).toBe('callbackTimeout');
    expect(expectError(await call({ method: 'POST', url, headers: asAlice, payload: { from: '+1', callbackUrl: 'ftp://x' } }), 400).details.field).toBe('callbackUrl');
    expectError(await call({ method: 'POST', url, headers: asAlice, payload: { from: '+1', profile: 'shout_digits' } }), 400, 'ERR_VALIDATION');
    // A Kazoo field the schema lets through is checked by the engine: still a 400 naming it.
    expect(expectError(await call({ method: 'POST', url, headers: asAlice, payload: { from: '+1', 'energy-level': -5 } }), 400, 'ERR_INVALID_ARGUMENT').message).toMatch(/energy-level/);
    expectError(await call({ method: 'POST', url, headers: asAlice, payload: { from: '+1', loudness: 11 } }), 400, 'ERR_INVALID_ARGUMENT');
    expectError(await call({ method: 'POST', url, headers: { ...asAlice, 'content-type': 'text/plain' }, payload: 'from=+1' }), 415, 'ERR_CONTENT_TYPE');
    expectError(await call({ method: 'POST', url, headers: { ...asAlice, 'content-type': 'application/json' }, payload: '{"from": ' }), 400, 'ERR_BAD_BODY');
    expectError(await call({ method: 'POST', url, headers: { ...asAlice, 'content-type': 'application/json' }, payload: JSON.stringify({ from: '+1', tag: 'x'.repeat(300 * 1024) }) }), 413, 'ERR_BODY_TOO_LARGE');
    expect((await get('/v1/users/alice/conferences?size=1000')).length).toBe(before);
  });
});

describe('GET /v1/users/{userId}/conferences and /conferences/{conferenceId}', () => {
  it('lists newest first, filters by state, pages with a next link', async () => {
    const a = await createConference({ from: '+1', tag: 'list-a' });
    const b = await createConference({ from: '+1', tag: 'list-b' });
    const c = await createConference({ from: '+1', tag: 'list-c' });
    await call({ method: 'POST', url: b, headers: asAlice, payload: { state: 'completed' } });
    const all = await get('/v1/users/alice/conferences?size=1000');
    const ids = all.map((x: { id: string }) => x.id);
    const [ia, ib, ic] = [a, b, c].map((u) => ids.indexOf(u.split('/').pop()));
    expect(ic).toBeLessThan(ib);
    expect(ib).toBeLessThan(ia);
    const completed = await get('/v1/users/alice/conferences?state=completed&size=1000');
    expect(completed.every((x: { state: string }) => x.state === 'completed')).toBe(true);
    expect(completed.map((x: { id: string }) => x.id)).toContain(b.split('/').pop());
    const page = await call({ method: 'GET', url: '/v1/users/alice/conferences?page=1&size=1', headers: asAlice });
    expect(json(page.body)).toHaveLength(1);
    expect(json(page.body)[0].id).toBe(ids[1]);
    expect(page.headers.link).toBe('</v1/users/alice/conferences?page=2&size=1>; rel="next"');
    expectError(await call({ method: 'GET', url: '/v1/users/alice/conferences?size=0', headers: asAlice }), 400, 'ERR_VALIDATION');
    expectError(await call({ method: 'GET', url: '/v1/users/alice/conferences?state=gone', headers: asAlice }), 400, 'ERR_VALIDATION');
    expectError(await call({ method: 'GET', url: '/v1/users/alice/conferences' }), 401);
  });

  it('answers 404 for an unknown id, and the same for another user\'s conference', async () => {
    const bobs = await createConference({ from: '+2' }, asBob, 'bob');
    const bobsId = bobs.split('/').pop()!;
    expectError(await call({ method: 'GET', url: '/v1/users/alice/conferences/conf-nope', headers: asAlice }), 404, 'ERR_NOT_FOUND');
    const other = expectError(await call({ method: 'GET', url: `/v1/users/alice/conferences/${bobsId}`, headers: asAlice }), 404, 'ERR_NOT_FOUND');
    const unknown = expectError(await call({ method: 'GET', url: '/v1/users/alice/conferences/conf-nope', headers: asAlice }), 404);
    expect(other.message.replace(bobsId, 'X')).toBe(unknown.message.replace('conf-nope', 'X'));
    expectError(await call({ method: 'GET', url: bobs, headers: asAlice }), 404);
    // Neither list shows the other's; nothing alice tries changes bob's conference.
    expect((await get('/v1/users/alice/conferences?size=1000')).map((x: { id: string }) => x.id)).not.toContain(bobsId);
    expectError(await call({ method: 'POST', url: `/v1/users/alice/conferences/${bobsId}`, headers: asAlice, payload: { mute: true } }), 404);
    expectError(await call({ method: 'POST', url: `/v1/users/alice/conferences/${bobsId}/members`, headers: asAlice, payload: { rtp: rtpLeg } }), 404);
    expectError(await call({ method: 'POST', url: `/v1/users/alice/conferences/${bobsId}/audio`, headers: asAlice, payload: { sentence: 'hi' } }), 404);
    expect(await get(bobs, asBob)).toMatchObject({ mute: false, activeMembers: 0, state: 'created' });
  });
});

describe('POST /v1/users/{userId}/conferences/{conferenceId}', () => {
  it('mutes and holds with the seed\'s string forms, sets callback fields and tag, and completes', async () => {
    const url = await createConference();
    expect((await call({ method: 'POST', url, headers: asAlice, payload: { mute: 'true' } })).statusCode).toBe(200);
    expect((await call({ method: 'POST', url, headers: asAlice, payload: { hold: true, tag: 't1', callbackUrl: 'http://cb.example/x', callbackTimeout: '1500', callbackHttpMethod: 'GET' } })).statusCode).toBe(200);
    expect(await get(url)).toMatchObject({ mute: true, hold: true, tag: 't1', callbackUrl: 'http://cb.example/x', callbackTimeout: 1500, callbackHttpMethod: 'GET' });
    await call({ method: 'POST', url, headers: asAlice, payload: { mute: 'false' } });
    expect((await get(url)).mute).toBe(false);
    const done = await call({ method: 'POST', url, headers: asAlice, payload: { state: 'completed' } });
    expect(done.statusCode).toBe(200);
    const completed = await get(url);
    expect(completed.state).toBe('completed');
    expect(completed.completedTime).toEqual(expect.any(String));
  });

  it('refuses bad fields (400), a completed conference (409), without changing anything', async () => {
    const url = await createConference();
    const before = await get(url);
    expect(expectError(await call({ method: 'POST', url, headers: asAlice, payload: { mute: 'yes' } }), 400).details.field).toBe('mute');
    expect(expectError(await call({ method: 'POST', url, headers: asAlice, payload: { state: 'paused' } }), 400).details.field).toBe('state');
    expect(expectError(await call({ method: 'POST', url, headers: asAlice, payload: { mute: true, volume: 3 } }), 400).details.field).toBe('volume');
    expect(await get(url)).toEqual(before);
    expectError(await call({ method: 'POST', url, headers: { ...asAlice, 'content-type': 'text/plain' }, payload: 'mute' }), 415);
    expectError(await call({ method: 'POST', url, payload: { mute: true } }), 401);
    await call({ method: 'POST', url, headers: asAlice, payload: { state: 'completed' } });
    expectError(await call({ method: 'POST', url, headers: asAlice, payload: { mute: true } }), 409, 'ERR_INVALID_STATE');
    expect((await get(url)).mute).toBe(false);
  });
});

describe('POST …/audio', () => {
  it('plays a file, stops it with an empty fileUrl, and refuses what cannot play', async () => {
    const url = await createConference();
    expect((await call({ method: 'POST', url: `${url}/audio`, headers: asAlice, payload: { fileUrl: wav, loopEnabled: 'true', tag: 'music' } })).statusCode).toBe(200);
    expect((await call({ method: 'POST', url: `${url}/audio`, headers: asAlice, payload: { fileUrl: '' } })).statusCode).toBe(200);
    expectError(await call({ method: 'POST', url: `${url}/audio`, headers: asAlice, payload: { fileUrl: '/no/such/file.wav' } }), 400, 'ERR_AUDIO_SOURCE');
    expectError(await call({ method: 'POST', url: `${url}/audio`, headers: asAlice, payload: { loopEnabled: true } }), 400);
    expectError(await call({ method: 'POST', url: `${url}/audio`, headers: asAlice, payload: { fileUrl: wav, gender: 'robot' } }), 400, 'ERR_VALIDATION');
    expectError(await call({ method: 'POST', url: '/v1/users/alice/conferences/conf-nope/audio', headers: asAlice, payload: { fileUrl: wav } }), 404);
    await call({ method: 'POST', url, headers: asAlice, payload: { state: 'completed' } });
    expectError(await call({ method: 'POST', url: `${url}/audio`, headers: asAlice, payload: { fileUrl: wav } }), 409);
  });
});

describe('members', () => {
  it('adds a member on an explicit RTP leg: 201, Location, its resource', async () => {
    const url = await createConference();
    const response = await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { callId: 'c-1', joinTone: 'false', leavingTone: false, mute: 'true', hold: 'false', rtp: rtpLeg } });
    expect(response.statusCode).toBe(201);
    const body = json(response.body);
    expect(response.headers.location).toBe(`${url}/members/${body.id}`);
    expect(body).toMatchObject({ callId: 'c-1', mute: true, hold: false, state: 'active', leg: { kind: 'rtp' } });
    expect(body.leg.localPort).toBeGreaterThanOrEqual(27000);
    expect(await get(response.headers.location as string)).toMatchObject({ id: body.id, callId: 'c-1', mute: true });
    expect((await get(url)).activeMembers).toBe(1);
  });

  it('answers an SDP offer as JSON, and as application/sdp the way WHIP does', async () => {
    const url = await createConference();
    const offer = createOffer({ localAddress: '127.0.0.1', localPort: 40002, codecs: ['pcmu'] }).offerSdp;
    const asJson = await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { sdp: offer, callId: 'sdp-json' } });
    expect(asJson.statusCode).toBe(201);
    const member = json(asJson.body);
    expect(member.sdp).toMatch(/^v=0\r\n[\s\S]*m=audio \d+ RTP\/AVP 0 /);
    expect(member.sdp).toContain(`m=audio ${member.leg.localPort} `);
    const asSdp = await call({ method: 'POST', url: `${url}/members`, headers: { ...asAlice, 'content-type': 'application/sdp' }, payload: offer });
    expect(asSdp.statusCode).toBe(201);
    expect(asSdp.headers['content-type']).toMatch(/^application\/sdp/);
    expect(asSdp.body).toMatch(/^v=0\r\n[\s\S]*a=rtpmap:0 PCMU\/8000/);
    expect(asSdp.headers.location).toMatch(new RegExp(`^${url}/members/member-`));
    expect((await get(url)).activeMembers).toBe(2);
  });

  it('offers when asked, takes the answer and a re-offer at PUT …/sdp', async () => {
    const url = await createConference();
    const response = await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { offer: true, rtp: { codecs: ['pcmu'] } } });
    expect(response.statusCode).toBe(201);
    const { sdp: ourOffer } = json(response.body);
    const memberUrl = response.headers.location as string;
    const peer = answerOffer(ourOffer, { localAddress: '127.0.0.1', localPort: 40010 });
    const applied = await call({ method: 'PUT', url: `${memberUrl}/sdp`, headers: asAlice, payload: { sdp: peer.answerSdp } });
    expect(applied.statusCode, applied.body).toBe(200);
    const reoffer = createOffer({ localAddress: '127.0.0.1', localPort: 40020, codecs: ['pcmu'], direction: 'sendonly' }).offerSdp;
    const answered = await call({ method: 'PUT', url: `${memberUrl}/sdp`, headers: { ...asAlice, 'content-type': 'application/sdp' }, payload: reoffer });
    expect(answered.statusCode).toBe(200);
    expect(answered.body).toMatch(/a=recvonly/);
    expect((await get(memberUrl)).deaf).toBe(true);
    const bad = expectError(await call({ method: 'PUT', url: `${memberUrl}/sdp`, headers: asAlice, payload: { sdp: 'v=0\r\n' } }), 400, 'ERR_SDP');
    expect(bad.details.reason).toBe('malformed');
    const rtpOnly = await addRtpMember(url);
    expectError(await call({ method: 'PUT', url: `${rtpOnly}/sdp`, headers: asAlice, payload: { sdp: reoffer } }), 409);
  });

  it('refuses a member without media, a bad SDP, a locked or full conference, adding nobody', async () => {
    const url = await createConference({ from: '+1', 'max-members': 1 });
    expect(expectError(await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { callId: 'x' } }), 400, 'ERR_VALIDATION').details.field).toBe('sdp');
    const noCodec = createOffer({ localAddress: '127.0.0.1', localPort: 40030, codecs: ['l16'] }).offerSdp.replace(/L16\/16000/g, 'G729/8000');
    const sdpError = expectError(await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { sdp: noCodec } }), 400, 'ERR_SDP');
    expect(sdpError.details.reason).toBe('no-common-codec');
    expectError(await call({ method: 'POST', url: `${url}/members`, headers: { ...asAlice, 'content-type': 'application/sdp' }, payload: 'hello' }), 400, 'ERR_SDP');
    expectError(await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { rtp: { codec: 'g729', remoteAddress: '127.0.0.1', remotePort: 9 } } }), 400);
    expectError(await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { rtp: rtpLeg, talkLevel: 9 } }), 400, 'ERR_VALIDATION');
    expectError(await call({ method: 'POST', url: `${url}/members`, headers: { ...asAlice, 'content-type': 'text/plain' }, payload: 'hi' }), 415);
    expect(await get(`${url}/members`)).toEqual([]);
    await addRtpMember(url);
    expect(expectError(await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { rtp: rtpLeg } }), 409, 'ERR_INVALID_STATE').details.reason).toBe('full');
    const locked = await createConference();
    await call({ method: 'POST', url: locked, headers: asAlice, payload: { locked: true } });
    expect(expectError(await call({ method: 'POST', url: `${locked}/members`, headers: asAlice, payload: { rtp: rtpLeg } }), 409).details.reason).toBe('locked');
    expect((await get(url)).activeMembers).toBe(1);
    expect((await get(locked)).activeMembers).toBe(0);
    await call({ method: 'POST', url: locked, headers: asAlice, payload: { state: 'completed' } });
    expectError(await call({ method: 'POST', url: `${locked}/members`, headers: asAlice, payload: { rtp: rtpLeg } }), 409);
  });

  it('lists members and gets one; 404 for an unknown member', async () => {
    const url = await createConference();
    const m1 = await addRtpMember(url, { callId: 'one' });
    const m2 = await addRtpMember(url, { callId: 'two' });
    const list = await get(`${url}/members`);
    expect(list.map((m: { callId: string }) => m.callId)).toEqual(['one', 'two']);
    expect((await get(m2)).callId).toBe('two');
    expectError(await call({ method: 'GET', url: `${url}/members/member-nope`, headers: asAlice }), 404, 'ERR_NOT_FOUND');
    expectError(await call({ method: 'GET', url: m1, headers: asBob }), 404);
  });

  it('updates a member with string forms and levels, and removes it by state or DELETE', async () => {
    const url = await createConference();
    const m1 = await addRtpMember(url);
    const m2 = await addRtpMember(url);
    const m3 = await addRtpMember(url);
    expect((await call({ method: 'POST', url: m1, headers: asAlice, payload: { mute: 'true', deaf: 'true', talkLevel: '2', listenLevel: -1, energyLevel: '400' } })).statusCode).toBe(200);
    expect(await get(m1)).toMatchObject({ mute: true, deaf: true, talkLevel: 2, listenLevel: -1, energyLevel: 400 });
    const before = await get(m1);
    expect(expectError(await call({ method: 'POST', url: m1, headers: asAlice, payload: { talkLevel: 9 } }), 400).details.field).toBe('talkLevel');
    expect(expectError(await call({ method: 'POST', url: m1, headers: asAlice, payload: { hold: 'maybe' } }), 400).details.field).toBe('hold');
    expect(await get(m1)).toEqual(before);
    expect((await call({ method: 'POST', url: m1, headers: asAlice, payload: { state: 'completed' } })).statusCode).toBe(200);
    expect((await get(m1)).state).toBe('completed');
    expectError(await call({ method: 'POST', url: m1, headers: asAlice, payload: { mute: false } }), 409);
    expect((await call({ method: 'DELETE', url: m2, headers: asAlice })).statusCode).toBe(200);
    expect(await get(m2)).toMatchObject({ state: 'completed', removedReason: 'api' });
    expectError(await call({ method: 'DELETE', url: m2, headers: asAlice }), 409);
    expectError(await call({ method: 'DELETE', url: `${url}/members/member-nope`, headers: asAlice }), 404);
    expect((await get(url)).activeMembers).toBe(1);
    // The seed: after the last member leaves, the conference completes by itself.
    await call({ method: 'DELETE', url: m3, headers: asAlice });
    expect((await get(url)).state).toBe('completed');
  });

  it('plays to one member, and refuses a completed one', async () => {
    const url = await createConference();
    const m1 = await addRtpMember(url);
    await addRtpMember(url);
    expect((await call({ method: 'POST', url: `${m1}/audio`, headers: asAlice, payload: { fileUrl: wav } })).statusCode).toBe(200);
    expectError(await call({ method: 'POST', url: `${m1}/audio`, headers: asAlice, payload: { fileUrl: 7 } }), 400);
    await call({ method: 'POST', url: m1, headers: asAlice, payload: { state: 'completed' } });
    expectError(await call({ method: 'POST', url: `${m1}/audio`, headers: asAlice, payload: { fileUrl: wav } }), 409);
  });
});

describe('per-user limits', () => {
  it('refuses conferences, members and requests over a user\'s limits with 429 and the limit named', async () => {
    const limited = await testServer({ users: [{ ...ALICE, limits: { conferences: 1, members: 1, requestsPerSecond: 0 } }, { ...BOB, limits: { requestsPerSecond: 1 } }] }, 27400);
    try {
      const first = await limited.app.inject({ method: 'POST', url: '/v1/users/alice/conferences', headers: asAlice, payload: { from: '+1' } });
      expect(first.statusCode).toBe(201);
      const second = expectError(await limited.app.inject({ method: 'POST', url: '/v1/users/alice/conferences', headers: asAlice, payload: { from: '+1' } }), 429, 'ERR_USER_LIMIT');
      expect(second.details).toEqual({ limit: 'conferences', value: 1 });
      const url = first.headers.location as string;
      expect((await limited.app.inject({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { rtp: rtpLeg } })).statusCode).toBe(201);
      expect(expectError(await limited.app.inject({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { rtp: rtpLeg } }), 429).details.limit).toBe('members');
      // Bob may make one request a second: the second in a row is refused.
      const bobFirst = await limited.app.inject({ method: 'GET', url: '/v1/users/bob/conferences', headers: asBob });
      expect(bobFirst.statusCode).toBe(200);
      expect(expectError(await limited.app.inject({ method: 'GET', url: '/v1/users/bob/conferences', headers: asBob }), 429, 'ERR_RATE_LIMIT').details.limit).toBe('requestsPerSecond');
    } finally {
      await limited.close();
    }
  });
});

describe('users', () => {
  it('refuses to serve a non-loopback address without a user, and makes one on loopback', async () => {
    await expect(createServer({ config: { host: '0.0.0.0', users: [], logLevel: 'silent' } })).rejects.toThrow(/without a user/);
    const local = await testServer({ users: [] }, 27600);
    try {
      const user = local.generatedUser!;
      expect(user.userId).toBe('local');
      expect(user.secret.length).toBeGreaterThanOrEqual(20);
      const ok = await local.app.inject({ method: 'GET', url: '/v1/users/local/conferences', headers: { authorization: basic(user) } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await local.close();
    }
  });
});
