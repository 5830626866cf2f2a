// The softphone in real Chromium through mediasoup (`browserTransport: 'mediasoup'`): the page
// bundles mediasoup-client, opens a send and a receive WebRtcTransport on the server's worker,
// and joins through the conference's mediasoup bridge. Two browsers, each capturing its own tone
// file, hear each other and not themselves (measured in the page); dialpad keys travel over the
// signalling route and act as the key map says. Every wait is for an event or a measured condition.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import { loadMediasoupWithWorker } from './mediasoup.ts';
import { EventLog, hearEachOther, joinPage, launchChromium, refusal, toneWav, untilMeasured } from '../helpers/softphonePages.ts';

const USER = { userId: 'msphone', token: 'msphone-token', secret: 'msphone-secret' };
const auth = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;

let server: ConfmixServer;
let base: string;
let dir: string;
let log: EventLog | undefined;
const browsers: Browser[] = [];

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { ...init, headers: { authorization: auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.headers as object) } });
}

async function memberOf(conferenceUrl: string, memberId: string): Promise<Record<string, unknown>> {
  return (await (await api(`${conferenceUrl}/members/${memberId}`)).json()) as Record<string, unknown>;
}

beforeAll(async () => {
  await loadMediasoupWithWorker();
  dir = mkdtempSync(join(tmpdir(), 'confmix-softphone-mediasoup-'));
  server = await createServer({
    config: { shards: 1, rtpPortMin: 27500, rtpPortMax: 27599, port: 0, users: [USER], logLevel: 'silent', browserTransport: 'mediasoup' },
    logger: pino({ level: 'silent' }),
  });
  base = await server.listen();
}, 600_000);

afterAll(async () => {
  log?.stop();
  await Promise.all(browsers.splice(0).map((browser) => browser.close()));
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the softphone in Chromium through mediasoup', () => {
  it('refuses clearly, then two pages hear each other and not themselves; keys over signalling: 0 mutes, # leaves', async () => {
    expect(await (await fetch(`${base}/softphone/transport.json`)).json()).toEqual({ transport: 'mediasoup' });
    const created = await api(`/v1/users/${USER.userId}/conferences`, { method: 'POST', body: JSON.stringify({ from: '+15550100', 'comfort-noise': false }) });
    expect(created.status).toBe(201);
    const conferenceUrl = created.headers.get('location')!;
    const conferenceId = conferenceUrl.split('/').pop()!;
    const events = new EventLog(base, USER, conferenceId);
    log = events;
    toneWav(join(dir, 'a.wav'), 440, 6000);
    toneWav(join(dir, 'b.wav'), 1000, 6000);
    browsers.push(...(await Promise.all([launchChromium(join(dir, 'a.wav')), launchChromium(join(dir, 'b.wav'))])));
    const [browserA, browserB] = browsers;
    // Refused joins say why, and add nobody.
    expect(await refusal(browserA, base, USER, 'conf-nope')).toMatch(/no conference conf-nope/);
    expect((await api(conferenceUrl, { method: 'POST', body: JSON.stringify({ locked: true }) })).status).toBe(200);
    expect(await refusal(browserA, base, USER, conferenceId)).toMatch(/locked/);
    expect((await api(conferenceUrl, { method: 'POST', body: JSON.stringify({ locked: false }) })).status).toBe(200);
    expect(((await (await api(`${conferenceUrl}/members`)).json()) as unknown[]).length).toBe(0);

    const pageA = await joinPage(browserA, base, USER, conferenceId, 'Alice');
    const pageB = await joinPage(browserB, base, USER, conferenceId, 'Bob');
    // Both joined through the bridge: plain RTP legs on loopback fed by mediasoup, nobody else.
    const members = (await (await api(`${conferenceUrl}/members`)).json()) as Array<{ id: string; callId: string; state: string; leg: { kind: string } }>;
    expect(members.filter((m) => m.state === 'active').map((m) => m.callId).sort()).toEqual(['Alice', 'Bob']);
    const alice = members.find((m) => m.callId === 'Alice')!;
    const bob = members.find((m) => m.callId === 'Bob')!;
    expect(alice.leg.kind).toBe('rtp');
    expect(bob.leg.kind).toBe('rtp');

    // Each hears the other's tone, its own more than 40 dB lower (the mix is N-1); the talking
    // indicator of each speaker lights in the other page, from the event stream.
    const { aHearsB, bHearsA, aHearsSelf, bHearsSelf } = await hearEachOther({ page: pageA, tone: 440, memberId: alice.id }, { page: pageB, tone: 1000, memberId: bob.id });
    expect(aHearsSelf).toBeLessThan(aHearsB - 40);
    expect(bHearsSelf).toBeLessThan(bHearsA - 40);

    // 0 on Bob's keypad (over the signalling route) mutes Bob: Alice's 1000 Hz drops by 40 dB or more.
    let from = events.length;
    await pageB.click('#dialpad [data-key="0"]');
    expect(await events.wait((e) => e.eventType === 'dtmf' && e.memberId === bob.id && e.dtmfDigit === '0', from)).toMatchObject({ action: 'toggle-mute' });
    expect(await events.wait((e) => e.eventType === 'conference-member' && e.memberId === bob.id && e.mute === true, from)).toMatchObject({ state: 'active' });
    expect(await untilMeasured(pageA, 1000, (db) => db < aHearsB - 40)).toBeLessThan(aHearsB - 40);
    await pageB.waitForSelector('#mute[aria-pressed="true"]');
    // Alice still reaches Bob.
    expect(await untilMeasured(pageB, 440, (db) => db > bHearsA - 3)).toBeGreaterThan(bHearsA - 3);

    // # leaves: Bob is removed with reason dtmf-leave, his page says so, Alice stays.
    from = events.length;
    await pageB.keyboard.press('#');
    await events.wait((e) => e.eventType === 'conference-member' && e.memberId === bob.id && e.state === 'completed', from);
    expect(await memberOf(conferenceUrl, bob.id)).toMatchObject({ state: 'completed', removedReason: 'dtmf-leave' });
    await pageB.waitForSelector('#join:not([hidden])');
    expect(await pageB.textContent('#status')).toContain('left');
    expect(await memberOf(conferenceUrl, alice.id)).toMatchObject({ state: 'active' });

    // Leave on Alice's page removes her too; the conference has nobody left.
    from = events.length;
    await pageA.click('#leave');
    await events.wait((e) => e.eventType === 'conference-member' && e.memberId === alice.id && e.state === 'completed', from);
    expect(await memberOf(conferenceUrl, alice.id)).toMatchObject({ state: 'completed' });
  }, 180_000);
});
