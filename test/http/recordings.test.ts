// Recordings over HTTP: the Conference API's routes to start (conference and member), list, read
// and stop a recording, its conference-recording callbacks, and Kazoo's record action.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfmixServer } from '../../src/http/server.ts';
import { parseWav } from '../../src/audio/wav.ts';
import { Talker, amplitudeAt, db } from '../integration/engineHelpers.ts';
import { ALICE, BOB, CallbackReceiver, basic, testServer } from './serverHelpers.ts';
import { ACCOUNTS, createDocument, kazoo } from './kazooHelpers.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';

let server: ConfmixServer;
let receiver: CallbackReceiver;
let dir: string;
const asAlice = { authorization: basic(ALICE) };
const asBob = { authorization: basic(BOB) };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'confmix-http-recordings-'));
  server = await testServer({ recordingsDir: dir, accounts: ACCOUNTS }, 29300);
  receiver = await CallbackReceiver.start();
});

afterAll(async () => {
  await server?.close();
  receiver?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const inject = (method: 'GET' | 'POST', url: string, payload?: unknown, headers = asAlice) =>
  server.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

/** A conference made over HTTP with a talker (1000 Hz) joined on an app leg. */
async function conferenceWithTalker(): Promise<{ url: string; id: string; talker: Talker; memberId: string }> {
  const created = await inject('POST', '/v1/users/alice/conferences', { callbackUrl: receiver.url('/events') });
  const url = created.headers.location as string;
  const id = url.split('/').pop()!;
  const conference = server.engine.getConference(id);
  const member = await conference.addMember({ leg: await server.engine.createAppLeg({ rate: 16000 }) });
  const talker = new Talker(member.leg as never);
  talker.say(1000, 2000);
  await conference.addMember({ leg: await server.engine.createAppLeg({ rate: 16000 }) }); // a listener
  return { url, id, talker, memberId: member.id };
}

describe('recording routes', () => {
  it('start, list, read and stop a recording; its callbacks arrive; another user sees nothing', async () => {
    const { url, talker } = await conferenceWithTalker();
    const started = await inject('POST', `${url}/recordings`, { fileName: 'minutes.wav', tag: 'board' });
    expect(started.statusCode).toBe(201);
    const recording = started.json();
    expect(started.headers.location).toBe(`${url}/recordings/${recording.id}`);
    expect(recording).toMatchObject({ state: 'recording', format: 'wav', path: join(dir, 'alice', 'minutes.wav'), tag: 'board' });
    expect((await inject('GET', `${url}/recordings`)).json()).toHaveLength(1);
    expect((await inject('GET', `${url}/recordings`, undefined, asBob)).statusCode).toBe(404);
    await talker.waitFrames(25);
    const stopped = await inject('POST', `${url}/recordings/${recording.id}`, { state: 'completed' });
    expect(stopped.statusCode).toBe(200);
    const done = stopped.json();
    expect(done).toMatchObject({ id: recording.id, state: 'done', size: statSync(done.path).size });
    const samples = parseWav(new Uint8Array(readFileSync(done.path))).samples;
    expect(samples.length).toBe((done.durationMs * 16000) / 1000);
    expect(Math.abs(db(amplitudeAt(samples.subarray(1600), 1000, 16000), 2000))).toBeLessThan(0.5);
    expect((await inject('GET', `${url}/recordings/${recording.id}`)).json()).toEqual(done);
    expect((await inject('GET', `${url}/recordings/rec-none`)).statusCode).toBe(404);
    await server.settleCallbacks(5000);
    const events = receiver.received.filter((c) => c.body?.eventType === 'conference-recording' && c.body.recordingId === recording.id);
    expect(events.map((c) => c.body!.status)).toEqual(['started', 'done']);
    expect(events[1].body).toMatchObject({ size: done.size, durationMs: done.durationMs, tag: 'board', conferenceUri: expect.stringContaining(url) });
  });

  it("records a member's side, and refuses bad bodies with a field-named 400", async () => {
    const { url, memberId } = await conferenceWithTalker();
    const started = await inject('POST', `${url}/members/${memberId}/recordings`, { direction: 'says', format: 'ogg-opus' });
    expect(started.statusCode).toBe(201);
    expect(started.json()).toMatchObject({ memberId, format: 'ogg-opus', tracks: [{ source: 'says', memberId }] });
    expect(started.json().path.endsWith('.opus')).toBe(true);
    expect((await inject('POST', `${url}/recordings`, { fileName: '../escape.wav' })).statusCode).toBe(400);
    expect((await inject('POST', `${url}/recordings`, { format: 'mp3' })).statusCode).toBe(400);
    expect((await inject('POST', `${url}/members/${memberId}/recordings`, { direction: 'sideways' })).statusCode).toBe(400);
    expect((await inject('POST', `${url}/recordings/${started.json().id}`, { state: 'paused' })).statusCode).toBe(400);
    const done = await inject('POST', `${url}/recordings/${started.json().id}`, { state: 'completed' });
    expect(done.json()).toMatchObject({ state: 'done' });
    expect(readFileSync(done.json().path).subarray(0, 4).toString()).toBe('OggS');
  });

  it("Kazoo's record action starts and stops recording a running conference", async () => {
    const id = await createDocument(server);
    expect((await kazoo(server, 'PUT', `/${id}`, { action: 'record', data: { action: 'start' } })).statusCode).toBe(409); // not running
    const peer = await SdpPeer.create(1000, 4000);
    try {
      const joined = await kazoo(server, 'PUT', `/${id}/participants`, { sdp: peer.offer() });
      expect(joined.statusCode).toBe(201);
      peer.follow(joined.body.data.sdp);
      peer.start();
      const start = await kazoo(server, 'PUT', `/${id}`, { action: 'record', data: { action: 'start' } });
      expect(start.body.data).toMatch(/^recording started: rec-/);
      expect((await kazoo(server, 'PUT', `/${id}`, { action: 'record', data: { action: 'pause' } })).statusCode).toBe(400);
      const stop = await kazoo(server, 'PUT', `/${id}`, { action: 'record', data: { action: 'stop' } });
      expect(stop.body.data).toBe('1 recordings stopped');
      const recordingId = (start.body.data as string).split(': ')[1];
      const live = [...server.engine.conferences].find((c) => c.getRecording(recordingId));
      expect(live?.getRecording(recordingId)?.toJSON()).toMatchObject({ state: 'done', path: expect.stringContaining(join(dir, ACCOUNTS[0].accountId)) });
      await kazoo(server, 'PUT', `/${id}/participants`, { action: 'kick' });
    } finally {
      peer.close();
    }
  });
});
