// Kazoo conference documents: every route's envelope, the schema checked field by field with its
// defaults, Kazoo's error shape, tokens and two accounts that never see each other's documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfmixServer } from '../../src/http/server.ts';
import { testServer } from './serverHelpers.ts';
import { ACCOUNTS, ACME, GLOBEX, createDocument, kazoo } from './kazooHelpers.ts';
import type { KazooAnswer } from './kazooHelpers.ts';

let server: ConfmixServer;

beforeAll(async () => {
  server = await testServer({ accounts: ACCOUNTS }, 28800);
});
afterAll(async () => {
  await server.close();
});

function expectEnvelope(answer: KazooAnswer, status = 200): any {
  expect(answer.statusCode).toBe(status);
  expect(answer.body).toMatchObject({ status: 'success', auth_token: ACME.token, request_id: expect.stringMatching(/^[0-9a-f]{32}$/), version: expect.any(String), timestamp: expect.any(String) });
  return answer.body.data;
}

function expectKazooError(answer: KazooAnswer, status: number, message?: string): any {
  expect(answer.statusCode).toBe(status);
  expect(answer.body).toMatchObject({ status: 'error', error: String(status), message: message ?? expect.any(String), data: expect.any(Object), request_id: expect.any(String) });
  return answer.body.data;
}

describe('documents', () => {
  it('creates with the schema defaults, reads, lists with _read_only, replaces, patches and deletes', async () => {
    const created = await kazoo(server, 'PUT', '', { name: 'Standup', member: { pins: ['1111'] }, profile: { rate: 16000, 'energy-level': 200 }, ui_metadata: { ui: 'kazoo-ui' } });
    const doc = expectEnvelope(created, 201);
    expect(created.body.revision).toMatch(/^1-[0-9a-f]{32}$/);
    expect(doc).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: 'Standup',
      member: { join_muted: true, join_deaf: false, numbers: [], pins: ['1111'] },
      moderator: { join_muted: false, join_deaf: false, numbers: [], pins: [] },
      profile: { rate: 16000, 'energy-level': 200 },
      ui_metadata: { ui: 'kazoo-ui' },
      conference_numbers: [],
      play_name: false,
    });

    const read = await kazoo(server, 'GET', `/${doc.id}`);
    expect(expectEnvelope(read)).toEqual({ ...doc, _read_only: { members: 0, admins: 0, duration: 0, is_locked: false, participants: [] } });
    expect(read.body.revision).toBe(created.body.revision);

    const list = expectEnvelope(await kazoo(server, 'GET', ''));
    expect(list).toContainEqual({ id: doc.id, name: 'Standup', member: doc.member, moderator: doc.moderator, _read_only: { members: 0, admins: 0, duration: 0, is_locked: false } });

    const replaced = await kazoo(server, 'POST', `/${doc.id}`, { name: 'Retro' });
    expect(expectEnvelope(replaced)).toEqual({ id: doc.id, name: 'Retro', member: { join_muted: true, join_deaf: false, numbers: [], pins: [] }, moderator: doc.moderator, conference_numbers: [], play_name: false });
    expect(replaced.body.revision).toMatch(/^2-/);

    const patched = await kazoo(server, 'PATCH', `/${doc.id}`, { member: { join_muted: false }, max_participants: 10 });
    expect(expectEnvelope(patched)).toMatchObject({ name: 'Retro', max_participants: 10, member: { join_muted: false, join_deaf: false, pins: [] } });
    expect(patched.body.revision).toMatch(/^3-/);

    expectEnvelope(await kazoo(server, 'DELETE', `/${doc.id}`));
    expect(expectKazooError(await kazoo(server, 'GET', `/${doc.id}`), 404, 'bad identifier')).toMatchObject({ cause: doc.id });
    expectKazooError(await kazoo(server, 'DELETE', `/${doc.id}`), 404);
    expectKazooError(await kazoo(server, 'POST', `/${doc.id}`, { name: 'x' }), 404);
    expectKazooError(await kazoo(server, 'PATCH', `/${doc.id}`, { name: 'x' }), 404);
  });

  // [body, field, rule]: each bad value is named with the rule it broke, and nothing is stored.
  const invalid: Array<[Record<string, unknown>, string, string]> = [
    [{ name: '' }, 'name', 'minLength'],
    [{ name: 'x'.repeat(129) }, 'name', 'maxLength'],
    [{ name: 5 }, 'name', 'type'],
    [{ owner_id: 'short' }, 'owner_id', 'minLength'],
    [{ owner_id: 'x'.repeat(33) }, 'owner_id', 'maxLength'],
    [{ member: 'all' }, 'member', 'type'],
    [{ member: { join_muted: 'yes' } }, 'member.join_muted', 'type'],
    [{ member: { join_deaf: 1 } }, 'member.join_deaf', 'type'],
    [{ member: { pins: '1234' } }, 'member.pins', 'type'],
    [{ member: { pins: [1234] } }, 'member.pins.0', 'type'],
    [{ member: { numbers: [true] } }, 'member.numbers.0', 'type'],
    [{ member: { play_entry_prompt: 'no' } }, 'member.play_entry_prompt', 'type'],
    [{ moderator: { join_muted: null } }, 'moderator.join_muted', 'type'],
    [{ moderator: { pins: [null] } }, 'moderator.pins.0', 'type'],
    [{ conference_numbers: '5551234' }, 'conference_numbers', 'type'],
    [{ max_participants: -1 }, 'max_participants', 'minimum'],
    [{ max_participants: 2.5 }, 'max_participants', 'type'],
    [{ play_entry_tone: 3 }, 'play_entry_tone', 'type'],
    [{ play_exit_tone: '' }, 'play_exit_tone', 'type'],
    [{ play_name: 'no' }, 'play_name', 'type'],
    [{ play_welcome: 1 }, 'play_welcome', 'type'],
    [{ require_moderator: 'true' }, 'require_moderator', 'type'],
    [{ wait_for_moderator: 0 }, 'wait_for_moderator', 'type'],
    [{ caller_controls: 'party' }, 'caller_controls', 'enum'],
    [{ moderator_controls: 'boss' }, 'moderator_controls', 'enum'],
    [{ bridge_username: 1 }, 'bridge_username', 'type'],
    [{ language: [] }, 'language', 'type'],
    [{ max_members_media: '' }, 'max_members_media', 'minLength'],
    [{ controls: [] }, 'controls', 'type'],
    [{ profile: 'default' }, 'profile', 'type'],
    [{ profile: { rate: 11025 } }, 'profile.rate', 'enum'],
    [{ profile: { rate: '16000' } }, 'profile.rate', 'type'],
    [{ profile: { interval: 30 } }, 'profile.interval', 'enum'],
    [{ profile: { 'energy-level': 40000 } }, 'profile.energy-level', 'maximum'],
    [{ profile: { 'energy-level': -1 } }, 'profile.energy-level', 'minimum'],
    [{ profile: { 'comfort-noise': 'soft' } }, 'profile.comfort-noise', 'type'],
    [{ profile: { 'max-members': -2 } }, 'profile.max-members', 'minimum'],
    [{ profile: { 'announce-count': 'two' } }, 'profile.announce-count', 'type'],
    [{ profile: { 'caller-controls': 'party' } }, 'profile.caller-controls', 'enum'],
    [{ profile: { 'moderator-controls': 7 } }, 'profile.moderator-controls', 'type'],
    [{ profile: { 'enter-sound': 5 } }, 'profile.enter-sound', 'type'],
    [{ profile: { 'moh-sound': '' } }, 'profile.moh-sound', 'minLength'],
  ];
  it.each(invalid)('refuses %j naming %s (%s) and stores nothing', async (data, field, rule) => {
    const before = (await kazoo(server, 'GET', '')).body.data.length;
    const errors = expectKazooError(await kazoo(server, 'PUT', '', data), 400, 'invalid data');
    expect(errors[field]?.[rule]?.message).toEqual(expect.any(String));
    expect((await kazoo(server, 'GET', '')).body.data.length).toBe(before);
  });

  it('names every invalid field of one request; a bad replace or patch changes nothing', async () => {
    const errors = expectKazooError(await kazoo(server, 'PUT', '', { name: '', member: { join_muted: 'x' }, profile: { rate: 1 } }), 400);
    expect(Object.keys(errors).sort()).toEqual(['member.join_muted', 'name', 'profile.rate']);
    const id = await createDocument(server, { name: 'Keep' });
    const before = await kazoo(server, 'GET', `/${id}`);
    expectKazooError(await kazoo(server, 'POST', `/${id}`, { name: 7 }), 400);
    expectKazooError(await kazoo(server, 'PATCH', `/${id}`, { moderator: { join_deaf: 'x' } }), 400);
    const after = await kazoo(server, 'GET', `/${id}`);
    expect(after.body.data).toEqual(before.body.data);
    expect(after.body.revision).toBe(before.body.revision);
  });

  it('requires the {"data": …} envelope and JSON', async () => {
    const id = await createDocument(server);
    const noData = await server.app.inject({ method: 'PUT', url: `/v2/accounts/${ACME.accountId}/conferences`, headers: { 'x-auth-token': ACME.token, 'content-type': 'application/json' }, payload: '{"name":"x"}' });
    expect(JSON.parse(noData.body)).toMatchObject({ status: 'error', error: '400', data: { data: { type: expect.any(Object) } } });
    const broken = await server.app.inject({ method: 'POST', url: `/v2/accounts/${ACME.accountId}/conferences/${id}`, headers: { 'x-auth-token': ACME.token, 'content-type': 'application/json' }, payload: '{"data":' });
    expect(broken.statusCode).toBe(400);
    expect(JSON.parse(broken.body)).toMatchObject({ status: 'error', error: '400' });
    const text = await server.app.inject({ method: 'PUT', url: `/v2/accounts/${ACME.accountId}/conferences`, headers: { 'x-auth-token': ACME.token, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect(JSON.parse(text.body)).toMatchObject({ status: 'error', error: '415' });
  });
});

describe('tokens and accounts', () => {
  it('refuses a missing or unknown token with 401 in Kazoo shape', async () => {
    const none = await server.app.inject({ method: 'GET', url: `/v2/accounts/${ACME.accountId}/conferences` });
    expect(none.statusCode).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ status: 'error', error: '401', message: 'invalid credentials' });
    const wrong = await kazoo(server, 'GET', '', undefined, { accountId: ACME.accountId, token: 'nope' });
    expectKazooError(wrong, 401, 'invalid credentials');
  });

  it('two accounts never see each other\'s documents', async () => {
    const acmeId = await createDocument(server, { name: 'Acme only' });
    const globexId = await createDocument(server, { name: 'Globex only' }, GLOBEX);
    const acmeList = (await kazoo(server, 'GET', '')).body.data.map((d: { id: string }) => d.id);
    const globexList = (await kazoo(server, 'GET', '', undefined, GLOBEX)).body.data.map((d: { id: string }) => d.id);
    expect(acmeList).toContain(acmeId);
    expect(acmeList).not.toContain(globexId);
    expect(globexList).toEqual([globexId]);
    // Globex's token on its own path with Acme's id, and on Acme's path: both "not found".
    for (const [method, data] of [['GET', undefined], ['POST', { name: 'x' }], ['PATCH', { name: 'x' }], ['DELETE', undefined], ['PUT', { action: 'lock' }]] as const) {
      expectKazooError(await kazoo(server, method, `/${acmeId}`, data, GLOBEX), 404);
    }
    expectKazooError(await kazoo(server, 'GET', `/${acmeId}/participants`, undefined, GLOBEX), 404);
    expectKazooError(await kazoo(server, 'PUT', `/${acmeId}/participants`, { rtp: { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 9 } }, GLOBEX), 404);
    expectKazooError(await kazoo(server, 'GET', `/${acmeId}`, undefined, GLOBEX, ACME.accountId), 404);
    expectKazooError(await kazoo(server, 'GET', '', undefined, GLOBEX, ACME.accountId), 404);
    expect((await kazoo(server, 'GET', `/${acmeId}`)).body.data.name).toBe('Acme only');
  });
});
