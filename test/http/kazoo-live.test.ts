// Kazoo live conferences: the first join starts a document's conference and the last leave
// completes it; pins pick roles; bulk actions skip moderators; conference and participant actions;
// relate over HTTP; announce-count with espeak-ng; the moderator keys; participant events over a
// real WebSocket client.
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Conference, ConferenceSpeakEventPayload } from '../../src/index.ts';
import type { ConfmixServer } from '../../src/http/server.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';
import { goertzelAmplitude } from '../helpers/audio.ts';
import { tempDir, writeToneWav } from '../engine/wavFiles.ts';
import { testServer } from './serverHelpers.ts';
import { ACCOUNTS, ACME, GLOBEX, createDocument, kazoo } from './kazooHelpers.ts';

let server: ConfmixServer;
let base: string;
const peers: SdpPeer[] = [];

beforeAll(async () => {
  server = await testServer({ accounts: ACCOUNTS }, 28900);
  base = await server.listen();
});
afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
});
afterAll(async () => {
  await server.close();
});

/** A phone joining a document's conference by its SDP offer; returns the participant and the peer. */
async function join(id: string, extra: Record<string, unknown> = {}, tone: number | null = null, account = ACME): Promise<{ status: number; body: any; peer: SdpPeer }> {
  const peer = await SdpPeer.create(tone, 4000);
  peers.push(peer);
  const answer = await kazoo(server, 'PUT', `/${id}/participants`, { sdp: peer.offer({ telephoneEvent: 101 }), ...extra }, account);
  if (answer.statusCode === 201) {
    peer.follow(answer.body.data.sdp);
    peer.start();
  }
  return { status: answer.statusCode, body: answer.body, peer };
}

/** The engine conference a document runs on now. */
function engineConference(id: string): Conference {
  const found = server.engine.conferences.find((c) => c.appData.kazooConferenceId === id && !c.closed);
  if (!found) throw new Error(`no live conference for ${id}`);
  return found;
}

async function readOnly(id: string): Promise<any> {
  return (await kazoo(server, 'GET', `/${id}`)).body.data._read_only;
}

/** Resolves when `check` passes on a participant list read again on each engine member change. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setImmediate(resolve));
}

describe('live conferences from documents', () => {
  it('the first join starts the conference, participants show as Kazoo shows them, the last leave completes it', async () => {
    const id = await createDocument(server, { name: 'Daily' });
    const first = await join(id, { call_id: 'call-1' });
    expect(first.status).toBe(201);
    expect(first.body.status).toBe('success');
    expect(first.body.data).toMatchObject({
      participant_id: 1,
      call_id: 'call-1',
      conference_id: id,
      conference_name: 'Daily',
      is_moderator: false,
      speak: false, // member.join_muted defaults to true
      hear: true,
      talking: false,
      energy_level: expect.any(Number),
      current_energy: expect.any(Number),
      join_time: expect.any(Number),
      duration: expect.any(Number),
      sdp: expect.stringMatching(/^v=0/),
    });
    const second = await join(id, { moderator: true });
    expect(second.body.data).toMatchObject({ participant_id: 2, is_moderator: true, speak: true, hear: true });

    const live = await readOnly(id);
    expect(live).toMatchObject({ members: 1, admins: 1, is_locked: false, conference: { state: 'live' } });
    expect(live.participants.map((p: any) => p.participant_id)).toEqual([1, 2]);
    const listed = await kazoo(server, 'GET', `/${id}/participants`);
    expect(listed.body.data).toHaveLength(2);
    expect((await kazoo(server, 'GET', `/${id}/participants/2`)).body.data).toMatchObject({ participant_id: 2, is_moderator: true });
    expect((await kazoo(server, 'GET', '')).body.data.find((d: any) => d.id === id)._read_only).toMatchObject({ members: 1, admins: 1 });
    expect((await kazoo(server, 'GET', `/${id}/participants/9`)).statusCode).toBe(404);

    const conference = engineConference(id);
    const closed = once(conference, 'close');
    expect((await kazoo(server, 'PUT', `/${id}/participants/1`, { action: 'kick' })).statusCode).toBe(200);
    expect((await kazoo(server, 'PUT', `/${id}/participants/2`, { action: 'kick' })).statusCode).toBe(200);
    await closed;
    expect(await readOnly(id)).toMatchObject({ members: 0, admins: 0, participants: [], conference: { state: 'completed', reason: 'last-member-left' } });
    // The next join starts a new conference, numbering from 1 again.
    const again = await join(id);
    expect(again.body.data.participant_id).toBe(1);
    expect(engineConference(id).id).not.toBe(conference.id);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('pins pick the role with its join settings; a wrong or missing pin is refused', async () => {
    const id = await createDocument(server, { member: { pins: ['1111'], join_muted: false, join_deaf: true }, moderator: { pins: ['9999'], join_muted: true } });
    const moderator = await join(id, { pin: '9999' });
    expect(moderator.body.data).toMatchObject({ is_moderator: true, speak: false, hear: true });
    const member = await join(id, { pin: '1111' });
    expect(member.body.data).toMatchObject({ is_moderator: false, speak: true, hear: false });
    for (const extra of [{ pin: '0000' }, {}, { moderator: true }]) {
      const refused = await join(id, extra);
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ status: 'error', error: '403', data: { pin: expect.any(Object) } });
    }
    expect((await readOnly(id)).participants).toHaveLength(2);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('bulk mute, unmute, deaf and undeaf skip moderators; kick removes everybody', async () => {
    const id = await createDocument(server, { member: { join_muted: false } });
    await join(id, { moderator: true });
    await join(id);
    await join(id);
    const views = async (): Promise<any[]> => (await kazoo(server, 'GET', `/${id}/participants`)).body.data;
    for (const [action, field, value] of [['mute', 'speak', false], ['unmute', 'speak', true], ['deaf', 'hear', false], ['undeaf', 'hear', true]] as const) {
      const answer = await kazoo(server, 'PUT', `/${id}/participants`, { action });
      expect(answer.statusCode).toBe(200);
      expect(answer.body.data).toBe(`${action} sent to 2 participants`);
      // Members converge on the action (the engine reads a key's changes back from the mixer); moderators never move.
      await until(async () => (await views()).every((p) => p[field] === (p.is_moderator ? true : value)));
    }
    const conference = engineConference(id);
    const closed = once(conference, 'close');
    expect((await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' })).body.data).toBe('kick sent to 3 participants');
    await closed;
    expect(await views()).toEqual([]);
  });

  it('conference actions: lock refuses joins, unlock, play, dial unsupported, bad actions', async () => {
    const id = await createDocument(server);
    expect(await kazoo(server, 'PUT', `/${id}`, { action: 'lock' })).toMatchObject({ statusCode: 409, body: { status: 'error', message: 'conference not running' } });
    await join(id);
    expect((await kazoo(server, 'PUT', `/${id}`, { action: 'lock' })).body.data).toBe('conference locked');
    expect((await readOnly(id)).is_locked).toBe(true);
    const refused = await join(id);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ status: 'error', data: { reason: 'locked' } });
    expect((await kazoo(server, 'PUT', `/${id}`, { action: 'unlock' })).body.data).toBe('conference unlocked');
    expect((await join(id)).status).toBe(201);
    const dial = await kazoo(server, 'PUT', `/${id}`, { action: 'dial', data: { endpoints: ['5551212'] } });
    expect(dial).toMatchObject({ statusCode: 501, body: { status: 'error', error: '501', message: 'dial is not supported', data: { action: expect.any(Object) } } });
    expect((await kazoo(server, 'PUT', `/${id}`, { action: 'explode' })).body).toMatchObject({ error: '400', data: { action: { enum: expect.any(Object) } } });
    expect((await kazoo(server, 'PUT', `/${id}`, { action: 'play', data: {} })).body).toMatchObject({ error: '400', data: { media_id: expect.any(Object) } });
    expect((await kazoo(server, 'PUT', `/${id}`, { action: 'play', data: { media_id: 'file:///no/such.wav' } })).statusCode).toBe(400);
    expect((await kazoo(server, 'PUT', `/${id}/participants`, { action: 'dance' })).body).toMatchObject({ error: '400', data: { action: expect.any(Object) } });
    expect((await kazoo(server, 'PUT', `/${id}/participants/1`, { action: 'dance' })).body).toMatchObject({ error: '400', data: { action: expect.any(Object) } });
    expect((await kazoo(server, 'PUT', `/${id}/participants`, { colour: 'red' })).body).toMatchObject({ error: '400', data: { colour: expect.any(Object), sdp: { required: expect.any(Object) } } });
    expect((await readOnly(id)).participants).toHaveLength(2);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('participant actions mute, unmute, deaf, undeaf and kick act on that participant only', async () => {
    const id = await createDocument(server, { member: { join_muted: false } });
    await join(id);
    await join(id);
    for (const [action, field, value] of [['mute', 'speak', false], ['unmute', 'speak', true], ['deaf', 'hear', false], ['undeaf', 'hear', true]] as const) {
      expect((await kazoo(server, 'PUT', `/${id}/participants/1`, { action })).statusCode).toBe(200);
      await until(async () => (await kazoo(server, 'GET', `/${id}/participants/1`)).body.data[field] === value);
      expect((await kazoo(server, 'GET', `/${id}/participants/2`)).body.data).toMatchObject({ speak: true, hear: true });
    }
    expect((await kazoo(server, 'PUT', `/${id}/participants/1`, { action: 'kick' })).statusCode).toBe(200);
    await until(async () => (await kazoo(server, 'GET', `/${id}/participants`)).body.data.length === 1);
    expect((await kazoo(server, 'PUT', `/${id}/participants/1`, { action: 'mute' })).statusCode).toBe(404);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('relate over HTTP: checked fields, then the first participant no longer hears the second', async () => {
    const id = await createDocument(server, { member: { join_muted: false }, profile: { rate: 8000 } });
    const a = await join(id, {}, 400);
    const b = await join(id, {}, 900);
    const relate = (data: unknown): Promise<any> => kazoo(server, 'PUT', `/${id}/participants`, { action: 'relate', data });
    expect((await relate({ other_participant: 2 })).body).toMatchObject({ error: '400', data: { participant_id: { required: expect.any(Object) } } });
    expect((await relate({ participant_id: 1, other_participant: 2, relationship: 'love' })).body).toMatchObject({ error: '400', data: { relationship: { enum: expect.any(Object) } } });
    expect((await relate({ participant_id: 1.5, other_participant: 2 })).body).toMatchObject({ error: '400', data: { participant_id: { type: expect.any(Object) } } });
    expect((await relate({ participant_id: 1, other_participant: 1, relationship: 'deaf' })).body).toMatchObject({ error: '400' });
    expect((await relate({ participant_id: 1, other_participant: 7, relationship: 'deaf' })).statusCode).toBe(404);
    expect((await a.peer.listen(25, 10)).length).toBe(25 * 160);
    expect(goertzelAmplitude(await a.peer.listen(25, 10), 900, 8000)).toBeGreaterThan(2000);
    const related = await relate({ participant_id: '1', other_participant: 2, relationship: 'deaf' });
    expect(related.body).toMatchObject({ status: 'success', data: 'relating participants' });
    expect(goertzelAmplitude(await a.peer.listen(25, 10), 900, 8000)).toBeLessThan(80);
    expect(goertzelAmplitude(await b.peer.listen(25, 10), 400, 8000)).toBeGreaterThan(2000);
    await relate({ participant_id: 1, other_participant: 2 }); // relationship defaults to clear
    expect(goertzelAmplitude(await a.peer.listen(25, 10), 900, 8000)).toBeGreaterThan(2000);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('require_moderator refuses members until a moderator is in; max_participants refuses the one too many', async () => {
    const id = await createDocument(server, { require_moderator: true, max_participants: 2 });
    const early = await join(id);
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ status: 'error', message: 'moderator required' });
    expect((await join(id, { moderator: true })).status).toBe(201);
    expect((await join(id)).status).toBe(201);
    const full = await join(id);
    expect(full.status).toBe(409);
    expect(full.body.data.reason).toBe('full');
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('play to the conference and to one participant is heard in the audio', async () => {
    const id = await createDocument(server, { member: { join_muted: false }, profile: { rate: 8000 } });
    const wav = writeToneWav(tempDir('confmix-kazoo-'), 'tone.wav', { freqHz: 1200, seconds: 3, rate: 8000, amplitude: 6000 });
    const a = await join(id);
    const b = await join(id);
    expect((await kazoo(server, 'PUT', `/${id}/participants/2`, { action: 'play', data: { media_id: wav } })).body).toMatchObject({ status: 'success', data: 'playing media' });
    expect(goertzelAmplitude(await b.peer.listen(25, 10), 1200, 8000)).toBeGreaterThan(3000);
    expect(goertzelAmplitude(await a.peer.listen(25, 0), 1200, 8000)).toBeLessThan(60);
    expect((await kazoo(server, 'PUT', `/${id}`, { action: 'play', data: { media_id: wav } })).body).toMatchObject({ status: 'success', data: 'playing media' });
    expect(goertzelAmplitude(await a.peer.listen(25, 10), 1200, 8000)).toBeGreaterThan(3000);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('deleting a document completes its live conference', async () => {
    const id = await createDocument(server);
    await join(id);
    const conference = engineConference(id);
    const closed = once(conference, 'close');
    expect((await kazoo(server, 'DELETE', `/${id}`)).statusCode).toBe(200);
    await closed;
    expect(conference.closed).toBe(true);
    expect((await kazoo(server, 'GET', `/${id}/participants`)).statusCode).toBe(404);
  });

  it('wait_for_moderator holds members back until a moderator joins', async () => {
    const id = await createDocument(server, { wait_for_moderator: true });
    await join(id);
    const conference = engineConference(id);
    const member = conference.members[0];
    expect(member.waitingForModerator).toBe(true);
    await join(id, { moderator: true });
    expect(member.waitingForModerator).toBe(false);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('announce-count speaks the member count with espeak-ng once it passes the threshold', async () => {
    const id = await createDocument(server, { profile: { 'announce-count': 1 } });
    await join(id);
    const conference = engineConference(id);
    const spoken: ConferenceSpeakEventPayload[] = [];
    conference.on('conference-speak', (payload) => spoken.push(payload));
    const started = new Promise<ConferenceSpeakEventPayload>((resolve) => conference.on('conference-speak', (p) => p.status === 'started' && resolve(p)));
    await join(id);
    expect(await started).toMatchObject({ status: 'started', tag: 'announce-count' });
    expect(spoken.filter((p) => p.status === 'started')).toHaveLength(1);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });

  it('the moderator keys: ** toggles the lock, 00 mutes and unmutes every member', async () => {
    const id = await createDocument(server, { member: { join_muted: false } });
    const moderator = await join(id, { moderator: true });
    await join(id);
    const conference = engineConference(id);
    const locked = once(conference.observer, 'update');
    moderator.peer.key('*');
    moderator.peer.key('*');
    await locked;
    expect((await readOnly(id)).is_locked).toBe(true);
    const member = conference.members.find((m) => m.role === 'member')!;
    const muted = once(member, 'change');
    moderator.peer.key('0');
    moderator.peer.key('0');
    await until(async () => member.mute);
    await muted;
    const views = (await kazoo(server, 'GET', `/${id}/participants`)).body.data;
    expect(views.find((p: any) => !p.is_moderator).speak).toBe(false);
    expect(views.find((p: any) => p.is_moderator).speak).toBe(true);
    moderator.peer.key('0');
    moderator.peer.key('0');
    await until(async () => !member.mute);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
  });
});

describe('participant events over a WebSocket', () => {
  /** A subscribed client collecting event messages. */
  async function subscribe(id: string, account = ACME, token = account.token): Promise<{ socket: WebSocket; events: any[]; reply: any; next(name: string): Promise<any> }> {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/v2/websocket`);
    await once(socket, 'open');
    const events: any[] = [];
    const waiters: Array<{ name: string; from: number; resolve: (e: any) => void }> = [];
    let reply: (value: any) => void;
    const replied = new Promise((resolve) => (reply = resolve));
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.action === 'reply') return reply(message);
      events.push(message);
      for (const w of [...waiters]) {
        const found = events.slice(w.from).find((e) => e.name === w.name);
        if (found) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(found);
        }
      }
    });
    socket.send(JSON.stringify({ action: 'subscribe', auth_token: token, request_id: 'r-1', data: { account_id: account.accountId, binding: `conference.event.${id}.*` } }));
    let cursor = 0;
    return {
      socket,
      events,
      reply: await replied,
      next: (name) =>
        new Promise((resolve) => {
          const found = events.slice(cursor).find((e) => e.name === name);
          if (found) {
            cursor = events.indexOf(found) + 1;
            return resolve(found);
          }
          waiters.push({ name, from: cursor, resolve: (e) => ((cursor = events.indexOf(e) + 1), resolve(e)) });
        }),
    };
  }

  it('sends add-member, mute/unmute, deaf/undeaf, start/stop-talking and del-member with the participant fields', async () => {
    const id = await createDocument(server, { member: { join_muted: false } });
    const client = await subscribe(id);
    expect(client.reply).toMatchObject({ request_id: 'r-1', status: 'success', data: { subscribed: [`conference.event.${id}.*`] } });
    const joined = await join(id, { call_id: 'ws-call' });
    const added = await client.next('add-member');
    await join(id); // a second participant: with one alone the mixer has nothing to mix or detect
    expect(added).toMatchObject({
      action: 'event',
      subscribed_key: `conference.event.${id}.*`,
      routing_key: `conference.event.${id}.ws-call`,
      data: { event: 'add-member', participant_id: 1, call_id: 'ws-call', conference_id: id, account_id: ACME.accountId, is_moderator: false, speak: true, hear: true },
    });
    for (const [action, event, field, value] of [['mute', 'mute-member', 'speak', false], ['unmute', 'unmute-member', 'speak', true], ['deaf', 'deaf-member', 'hear', false], ['undeaf', 'undeaf-member', 'hear', true]] as const) {
      await kazoo(server, 'PUT', `/${id}/participants/1`, { action });
      expect((await client.next(event)).data).toMatchObject({ event, participant_id: 1, [field]: value });
    }
    joined.peer.tone(500, 6000);
    expect((await client.next('start-talking')).data).toMatchObject({ participant_id: 1, talking: true });
    joined.peer.tone(null);
    expect((await client.next('stop-talking')).data).toMatchObject({ participant_id: 1, talking: false });
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
    expect((await client.next('del-member')).data).toMatchObject({ participant_id: 1, call_id: 'ws-call' });
    client.socket.close();
  });

  it("refuses another account's token or conference, and a bad binding; never sends other accounts' events", async () => {
    const id = await createDocument(server);
    const wrongAccount = await subscribe(id, ACME, GLOBEX.token);
    expect(wrongAccount.reply).toMatchObject({ status: 'error', data: { error: '404' } });
    const foreign = await subscribe(id, GLOBEX);
    expect(foreign.reply).toMatchObject({ status: 'error', data: { error: '404' } });
    const badToken = await subscribe(id, ACME, 'nope');
    expect(badToken.reply).toMatchObject({ status: 'error', data: { error: '401' } });
    const socket = new WebSocket(`${base.replace('http', 'ws')}/v2/websocket`);
    await once(socket, 'open');
    socket.send(JSON.stringify({ action: 'subscribe', auth_token: ACME.token, data: { account_id: ACME.accountId, binding: 'call.*' } }));
    const [raw] = await once(socket, 'message');
    expect(JSON.parse(String(raw))).toMatchObject({ status: 'error', data: { binding: expect.any(Object) } });
    const own = await subscribe(id);
    await join(id);
    await own.next('add-member');
    for (const client of [wrongAccount, foreign, badToken]) expect(client.events).toEqual([]);
    await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
    for (const client of [wrongAccount, foreign, badToken, own]) client.socket.close();
    socket.close();
  });
});
