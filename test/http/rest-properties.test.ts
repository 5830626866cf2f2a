// Property tests of the REST bodies against their schemas: for every body fast-check makes (the
// routes' own fields with right, wrong and arbitrary values, unknown fields, any JSON, bytes that
// are not JSON, and other content types), the server answers with a status it documents and never
// a 5xx, an error always has the one error shape, and a refused body changes nothing: the user's
// conferences, the conference, its members and the events raised are as they were.
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfmixServer } from '../../src/http/server.ts';
import { addMemberBody, audioBody, createConferenceBody, updateConferenceBody, updateMemberBody } from '../../src/http/schemas.ts';
import { ALICE, basic, testServer } from './serverHelpers.ts';

const asAlice = { authorization: basic(ALICE) };
const RUNS = 150;
const BASE = '/v1/users/alice/conferences';
let server: ConfmixServer;
let conference = '';
let member = '';
let events = 0;
/** Files and sentences started and done: audio plays on after its request, so runs wait it out. */
const audio = { started: 0, done: 0 };
let audioWake: (() => void) | undefined;

const call = (options: InjectOptions) => server.app.inject(options);
const rtpLeg = { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 9, timeoutMs: 0 };

/** A conference with one member, made again when a body completed either. */
async function ensureTarget(): Promise<void> {
  const current = conference ? JSON.parse((await call({ method: 'GET', url: conference, headers: asAlice })).body) : null;
  if (current?.state !== 'created') {
    const created = await call({ method: 'POST', url: BASE, headers: asAlice, payload: { from: '+1', 'comfort-noise': false } });
    conference = created.headers.location as string;
    member = '';
  }
  const joined = member ? JSON.parse((await call({ method: 'GET', url: member, headers: asAlice })).body) : null;
  if (joined?.state !== 'active') {
    const added = await call({ method: 'POST', url: `${conference}/members`, headers: asAlice, payload: { callId: 'target', rtp: rtpLeg } });
    expect(added.statusCode, added.body).toBe(201);
    member = added.headers.location as string;
  }
}

/** What a refused request must leave as it was. */
async function snapshot(): Promise<unknown> {
  const get = async (url: string): Promise<unknown> => JSON.parse((await call({ method: 'GET', url, headers: asAlice })).body);
  return { list: await get(`${BASE}?size=1000`), conference: await get(conference), members: await get(`${conference}/members`), events };
}

/** Resolves once all audio started is done (events, not time). */
async function audioIdle(): Promise<void> {
  while (audio.done < audio.started) await new Promise<void>((resolve) => (audioWake = resolve));
}

/** Undoes what an accepted body made, so the next run starts from the same kind of state. */
async function undo(method: string, url: string, status: number, location: string | undefined, body: unknown): Promise<void> {
  if (url.endsWith('/audio') && typeof body === 'object' && body !== null && 'sentence' in body && body.sentence !== '') {
    // A sentence was accepted (its started event is raised before the answer): stop it, so its
    // done event is raised now and not during a later run.
    await call({ method: 'POST', url, headers: asAlice, payload: { sentence: '' } });
    await audioIdle();
  }
  if (status !== 201 || !location) return;
  if (url === BASE) await call({ method: 'POST', url: location, headers: asAlice, payload: { state: 'completed' } });
  else if (method === 'POST' && url.endsWith('/members')) await call({ method: 'DELETE', url: location, headers: asAlice });
}

const OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';
const flagValues = fc.constantFrom<unknown>(true, false, 'true', 'false');
/** Values a field accepts, so that many bodies are valid and reach the engine. */
const VALID: Record<string, fc.Arbitrary<unknown>> = {
  mute: flagValues, hold: flagValues, deaf: flagValues, locked: flagValues, joinTone: flagValues, leavingTone: flagValues, loopEnabled: flagValues,
  talkLevel: fc.integer({ min: -4, max: 4 }), listenLevel: fc.integer({ min: -4, max: 4 }).map(String), energyLevel: fc.integer({ min: 0, max: 32767 }),
  callbackUrl: fc.constant('http://127.0.0.1:9/cb'), fallbackUrl: fc.constant('http://127.0.0.1:9/fb'), callbackHttpMethod: fc.constantFrom('GET', 'POST', 'get'),
  callbackTimeout: fc.oneof(fc.integer({ min: 1, max: 10000 }), fc.constant('2000')), tag: fc.string({ maxLength: 20 }), from: fc.constant('+15551234'),
  name: fc.string({ maxLength: 20 }), callId: fc.string({ maxLength: 20 }), state: fc.constant('completed'), role: fc.constantFrom('member', 'moderator'),
  rate: fc.constantFrom(8000, 16000, 48000), interval: fc.constantFrom(10, 20, '20'), profile: fc.constantFrom('interpret_digits', 'passthru_digits'),
  rtp: fc.constant(rtpLeg), sdp: fc.constant(OFFER), offer: fc.constant(true), fileUrl: fc.constant(''), sentence: fc.constantFrom('', 'hello'),
  gender: fc.constantFrom('male', 'female'), locale: fc.constant('en_US'), voice: fc.constant('en'),
  'max-members': fc.integer({ min: 0, max: 10 }), 'energy-level': fc.integer({ min: 0, max: 100 }), 'comfort-noise': fc.boolean(), 'play-entry-tone': fc.boolean(),
};
const invalidValue = fc.oneof(
  fc.constantFrom<unknown>('yes', -1, 5, 32768, '99999999999', 'created', 'PUT', 'ftp://x', '', null, [], {}, 'v=0\r\n'),
  fc.constantFrom<unknown>({ ...rtpLeg, codec: 'g729' }, { ...rtpLeg, remotePort: 70000 }, { ...rtpLeg, remoteAddress: 'not-an-ip' }),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Bodies over a schema's own fields (any subset; mostly right values, some wrong) plus a few the schema does not know. */
function bodies(schema: { properties: Record<string, unknown> }, extra: string[] = []): fc.Arbitrary<unknown> {
  const fields = [...Object.keys(schema.properties), ...extra];
  const value = (field: string): fc.Arbitrary<unknown> => fc.oneof({ weight: 14, arbitrary: VALID[field] ?? invalidValue }, { weight: 1, arbitrary: invalidValue });
  const known = fc.record(Object.fromEntries(fields.map((f) => [f, value(f)])), { requiredKeys: [] });
  return fc.oneof(
    { weight: 4, arbitrary: known },
    { weight: 1, arbitrary: fc.tuple(known, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(([body, key, v]) => ({ ...body, [key]: v })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

const parsed = (payload: string): unknown => {
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
};

const DOCUMENTED = new Set([200, 201, 204, 400, 404, 409, 413, 415]);

/** Sends one body to one route and checks the property. */
async function check(method: 'POST' | 'PUT', route: () => string, payload: string, contentType: string): Promise<void> {
  await ensureTarget();
  const url = route();
  const before = await snapshot();
  const response = await call({ method, url, headers: { ...asAlice, 'content-type': contentType }, payload });
  expect(DOCUMENTED.has(response.statusCode), `${method} ${url} ${payload.slice(0, 200)} → ${response.statusCode} ${response.body}`).toBe(true);
  if (response.statusCode >= 400) {
    const error = JSON.parse(response.body);
    expect(error).toEqual({ code: expect.stringMatching(/^ERR_[A-Z_]+$/), message: expect.any(String), details: expect.any(Object) });
    expect(await snapshot(), `${method} ${url} ${payload.slice(0, 200)} was refused (${response.statusCode}) but changed something`).toEqual(before);
  } else {
    await undo(method, url, response.statusCode, response.headers.location as string | undefined, parsed(payload));
  }
}

beforeAll(async () => {
  server = await testServer({}, 29400);
  server.engine.on('event', ({ payload }) => {
    events++;
    if (payload.eventType === 'conference-speak' || payload.eventType === 'conference-playback') {
      audio[payload.status]++;
      audioWake?.();
    }
  });
});
afterAll(async () => {
  await server.close();
});

describe('REST bodies against their schemas', () => {
  const routes: Array<{ name: string; method: 'POST' | 'PUT'; url: () => string; body: fc.Arbitrary<unknown> }> = [
    { name: 'create conference', method: 'POST', url: () => BASE, body: bodies(createConferenceBody, ['max-members', 'energy-level', 'comfort-noise', 'play-entry-tone']) },
    { name: 'update conference', method: 'POST', url: () => conference, body: bodies(updateConferenceBody) },
    { name: 'conference audio', method: 'POST', url: () => `${conference}/audio`, body: bodies(audioBody) },
    { name: 'add member', method: 'POST', url: () => `${conference}/members`, body: bodies(addMemberBody) },
    { name: 'update member', method: 'POST', url: () => member, body: bodies(updateMemberBody) },
    { name: 'member audio', method: 'POST', url: () => `${member}/audio`, body: bodies(audioBody) },
    { name: 'member SDP', method: 'PUT', url: () => `${member}/sdp`, body: bodies({ properties: { sdp: {} } }) },
  ];
  for (const route of routes) {
    it(`${route.name}: a documented status, one error shape, and a refusal changes nothing`, async () => {
      await fc.assert(fc.asyncProperty(route.body, (body) => check(route.method, route.url, JSON.stringify(body), 'application/json')), { numRuns: RUNS });
    }, 120_000);
  }

  it('bytes that are not JSON, and other content types, are refused and change nothing', async () => {
    const contentTypes = fc.constantFrom('application/json', 'application/sdp', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16');
    const raw = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.constant('{"mute": tru'), fc.constant(''), fc.constant('[]'));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), raw, contentTypes, async (route, payload, contentType) => {
        await check(route.method, route.url, payload, contentType);
      }),
      { numRuns: RUNS * 2 },
    );
  }, 180_000);
});
