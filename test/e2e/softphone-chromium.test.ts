// The softphone in real Chromium: two browsers, each capturing its own tone file, join one
// conference through the page. Each page measures what it receives (Web Audio and Goertzel);
// the keypad's DTMF (RFC 4733 from RTCRtpSender.dtmf) mutes, raises the talk level and leaves,
// and the server's events say so. Every wait is for an event or a measured condition.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import { EventLog, hearEachOther, joinPage as joinAs, launchChromium, refusal as refusalOf, toneWav, untilMeasured } from '../helpers/softphonePages.ts';

const USER = { userId: 'phone', token: 'phone-token', secret: 'phone-secret' };
const auth = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;
const ARTEFACTS = join(process.cwd(), 'test-output');

let server: ConfmixServer;
let base: string;
let dir: string;
let log: EventLog | undefined;
const browsers: Browser[] = [];

async function launch(wav: string): Promise<Browser> {
  const browser = await launchChromium(wav);
  browsers.push(browser);
  return browser;
}

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { ...init, headers: { authorization: auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.headers as object) } });
}

const refusal = (browser: Browser, conferenceId: string): Promise<string> => refusalOf(browser, base, USER, conferenceId);
const joinPage = (browser: Browser, conferenceId: string, name: string): Promise<Page> => joinAs(browser, base, USER, conferenceId, name);

async function memberOf(conferenceUrl: string, memberId: string): Promise<Record<string, unknown>> {
  return (await (await api(`${conferenceUrl}/members/${memberId}`)).json()) as Record<string, unknown>;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'confmix-softphone-'));
  mkdirSync(ARTEFACTS, { recursive: true });
  server = await createServer({
    config: { shards: 1, rtpPortMin: 27400, rtpPortMax: 27499, port: 0, users: [USER], logLevel: 'silent' },
    logger: pino({ level: 'silent' }),
  });
  base = await server.listen();
});

afterAll(async () => {
  log?.stop();
  await Promise.all(browsers.splice(0).map((browser) => browser.close()));
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the softphone in Chromium', () => {
  it('refuses clearly, then two pages hear each other and not themselves; 0 mutes, 3 raises the talk level, # leaves', async () => {
    const created = await api('/v1/users/phone/conferences', { method: 'POST', body: JSON.stringify({ from: '+15550100', 'comfort-noise': false }) });
    expect(created.status).toBe(201);
    const conferenceUrl = created.headers.get('location')!;
    const conferenceId = conferenceUrl.split('/').pop()!;
    const events = new EventLog(base, USER, conferenceId);
    log = events;
    const waitForEvent = (match: (event: Record<string, unknown>) => boolean, from = 0): Promise<Record<string, unknown>> => events.wait(match, from);
    toneWav(join(dir, 'a.wav'), 440, 6000);
    toneWav(join(dir, 'b.wav'), 1000, 6000);
    const [browserA, browserB] = await Promise.all([launch(join(dir, 'a.wav')), launch(join(dir, 'b.wav'))]);
    // Refused joins say why, and add nobody.
    expect(await refusal(browserA, 'conf-nope')).toMatch(/no conference conf-nope/);
    expect((await api(conferenceUrl, { method: 'POST', body: JSON.stringify({ locked: true }) })).status).toBe(200);
    expect(await refusal(browserA, conferenceId)).toMatch(/locked/);
    expect((await api(conferenceUrl, { method: 'POST', body: JSON.stringify({ locked: false }) })).status).toBe(200);
    expect(((await (await api(`${conferenceUrl}/members`)).json()) as unknown[]).length).toBe(0);

    const pageA = await joinPage(browserA, conferenceId, 'Alice');
    const pageB = await joinPage(browserB, conferenceId, 'Bob');
    const members = (await (await api(`${conferenceUrl}/members`)).json()) as Array<{ id: string; callId: string; leg: { kind: string } }>;
    const alice = members.find((m) => m.callId === 'Alice')!;
    const bob = members.find((m) => m.callId === 'Bob')!;
    expect(alice.leg.kind).toBe('webrtc');
    expect(bob.leg.kind).toBe('webrtc');

    // Each hears the other's tone, its own more than 40 dB lower (the mix is N-1); the talking
    // indicator of each speaker lights in the other page, from the event stream.
    const { aHearsB, bHearsA, aHearsSelf, bHearsSelf } = await hearEachOther({ page: pageA, tone: 440, memberId: alice.id }, { page: pageB, tone: 1000, memberId: bob.id });
    expect(aHearsSelf).toBeLessThan(aHearsB - 40);
    expect(bHearsSelf).toBeLessThan(bHearsA - 40);
    await pageA.screenshot({ path: join(ARTEFACTS, 'softphone-call.png'), fullPage: true });

    // 0 on Bob's keypad mutes Bob: Alice's 1000 Hz drops by 40 dB or more.
    let from = events.length;
    await pageB.click('#dialpad [data-key="0"]');
    expect(await waitForEvent((e) => e.eventType === 'dtmf' && e.memberId === bob.id && e.dtmfDigit === '0', from)).toBeTruthy();
    expect(await waitForEvent((e) => e.eventType === 'conference-member' && e.memberId === bob.id && e.mute === true, from)).toMatchObject({ state: 'active' });
    const muted = await untilMeasured(pageA, 1000, (db) => db < aHearsB - 40);
    expect(muted).toBeLessThan(aHearsB - 40);
    await pageB.waitForSelector('#mute[aria-pressed="true"]');

    // 0 again unmutes; then 3 raises Bob's talk level one step, 3 dB, as Alice measures it.
    from = events.length;
    await pageB.keyboard.press('0');
    await waitForEvent((e) => e.eventType === 'conference-member' && e.memberId === bob.id && e.mute === false, from);
    const before = await untilMeasured(pageA, 1000, (db) => db > aHearsB - 1);
    from = events.length;
    await pageB.click('#dialpad [data-key="3"]');
    await waitForEvent((e) => e.eventType === 'dtmf' && e.memberId === bob.id && e.dtmfDigit === '3', from);
    expect(await memberOf(conferenceUrl, bob.id)).toMatchObject({ talkLevel: 1 });
    const raised = await untilMeasured(pageA, 1000, (db) => db > before + 2);
    expect(raised - before).toBeGreaterThan(2);
    expect(raised - before).toBeLessThan(4);

    // # leaves: Bob is removed with reason dtmf-leave, and his page says so.
    from = events.length;
    await pageB.click('#dialpad [data-key="#"]');
    await waitForEvent((e) => e.eventType === 'conference-member' && e.memberId === bob.id && e.state === 'completed', from);
    expect(await memberOf(conferenceUrl, bob.id)).toMatchObject({ state: 'completed', removedReason: 'dtmf-leave' });
    await pageB.waitForSelector('#join:not([hidden])');
    expect(await pageB.textContent('#status')).toContain('left');
  }, 120_000);
});
