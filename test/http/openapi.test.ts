// The OpenAPI document: it validates against the OpenAPI 3.0 schema, names every route of the
// user API, and a request and response sample of every route matches it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv } from 'ajv';
import type { InjectOptions } from 'fastify';
import { answerOffer, createOffer } from '../../src/index.ts';
import type { ConfmixServer } from '../../src/http/server.ts';
import { tempDir, writeToneWav } from '../engine/wavFiles.ts';
import { ALICE, basic, testServer } from './serverHelpers.ts';

let server: ConfmixServer;
let spec: any;
const ajv = new Ajv({ strict: false, allErrors: true });
const asAlice = { authorization: basic(ALICE) };

beforeAll(async () => {
  server = await testServer({}, 28400);
  spec = JSON.parse((await server.app.inject({ method: 'GET', url: '/openapi.json' })).body);
  for (const [name, schema] of Object.entries(spec.components.schemas)) ajv.addSchema(schema as object, `#/components/schemas/${name}`);
});
afterAll(async () => {
  await server.close();
});

/** The schema of a component reference or an inline schema, ready for ajv. */
function compile(schema: any): ReturnType<Ajv['compile']> {
  return ajv.compile(JSON.parse(JSON.stringify(schema)));
}

/** Sends a sample and checks its request body and its answer against the document. */
async function sample(template: string, options: InjectOptions & { url: string; method: string }, requestValid = true): Promise<any> {
  const operation = spec.paths[template]?.[options.method.toLowerCase()];
  expect(operation, `${options.method} ${template} in the document`).toBeDefined();
  if (options.payload !== undefined && typeof options.payload === 'object') {
    const check = compile(operation.requestBody.content['application/json'].schema);
    expect(check(options.payload), JSON.stringify(check.errors)).toBe(requestValid);
  }
  const response = await server.app.inject({ ...options, headers: { ...asAlice, ...(options.headers as object) } });
  const documented = operation.responses[String(response.statusCode)];
  expect(documented, `${options.method} ${template} documents ${response.statusCode}: ${response.body}`).toBeDefined();
  const schema = documented.content?.['application/json']?.schema;
  if (schema && response.body !== '') {
    const check = compile(schema);
    expect(check(JSON.parse(response.body)), `${template}: ${JSON.stringify(check.errors)}`).toBe(true);
  }
  return response;
}

describe('OpenAPI document', () => {
  it('validates as OpenAPI 3.0 and is served with its page at /docs', async () => {
    const result = await new Validator().validate(spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const docs = await server.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toMatch(/swagger/i);
  });

  it('matches a request and response sample of every route', async () => {
    const users = '/v1/users/{userId}';
    const conferences = `${users}/conferences`;
    const conference = `${conferences}/{conferenceId}`;
    const member = `${conference}/members/{memberId}`;
    const created = await sample(conferences, { method: 'POST', url: '/v1/users/alice/conferences', payload: { from: '+1', callbackUrl: 'http://127.0.0.1:9/cb', callbackTimeout: '2000', profile: 'passthru_digits', tag: 't' } });
    expect(created.statusCode).toBe(201);
    const url = created.headers.location as string;
    await sample(conferences, { method: 'GET', url: '/v1/users/alice/conferences?state=created' });
    await sample(conference, { method: 'GET', url });
    await sample(conference, { method: 'POST', url, payload: { mute: 'true', hold: false } });
    await sample(`${conference}/audio`, { method: 'POST', url: `${url}/audio`, payload: { fileUrl: writeToneWav(tempDir(), 'x.wav', { freqHz: 440, seconds: 0.2 }), loopEnabled: 'false' } });
    const offer = createOffer({ localAddress: '127.0.0.1', localPort: 40100, codecs: ['pcmu'] }).offerSdp;
    const joined = await sample(`${conference}/members`, { method: 'POST', url: `${url}/members`, payload: { sdp: offer, callId: 'c' } });
    expect(joined.statusCode).toBe(201);
    const offered = await sample(`${conference}/members`, { method: 'POST', url: `${url}/members`, payload: { offer: true } });
    const memberUrl = offered.headers.location as string;
    await sample(`${conference}/members`, { method: 'GET', url: `${url}/members` });
    await sample(member, { method: 'GET', url: memberUrl });
    const answer = answerOffer(JSON.parse(offered.body).sdp, { localAddress: '127.0.0.1', localPort: 40102 }).answerSdp;
    await sample(`${member}/sdp`, { method: 'PUT', url: `${memberUrl}/sdp`, payload: { sdp: answer } });
    await sample(member, { method: 'POST', url: memberUrl, payload: { mute: 'true', talkLevel: '2' } });
    await sample(`${member}/audio`, { method: 'POST', url: `${memberUrl}/audio`, payload: { fileUrl: '' } });
    await sample(member, { method: 'DELETE', url: memberUrl });
    // Error answers match the one documented error shape.
    const notFound = await sample(conference, { method: 'GET', url: '/v1/users/alice/conferences/conf-nope' });
    expect(notFound.statusCode).toBe(404);
    const invalid = await sample(member, { method: 'POST', url: memberUrl, payload: { mute: 'maybe' } }, false);
    expect(invalid.statusCode).toBe(400);
    const health = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });
    // Every user API route is in the document.
    const routes = server.app.printRoutes({ commonPrefix: false });
    for (const path of [conferences, conference, `${conference}/audio`, `${conference}/members`, member, `${member}/audio`, `${member}/sdp`, `${users}/events`]) {
      expect(spec.paths[path], path).toBeDefined();
    }
    expect(routes).toContain('events');
  });
});
