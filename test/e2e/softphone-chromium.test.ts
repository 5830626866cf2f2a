// The softphone in real Chromium: two browsers, each capturing its own tone file, join one
// conference through the page. Each page measures what it receives (Web Audio and Goertzel);
// the keypad's DTMF (RFC 4733 from RTCRtpSender.dtmf) mutes, raises the talk level and leaves,
// and the server's events say so. Every wait is for an event or a measured condition.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import { encodeWav } from '../../src/audio/wav.ts';
import { ConferenceApi } from '../../web/softphone/api.ts';
import { ToneGenerator } from '../helpers/audio.ts';
import { installProbe } from '../helpers/browserProbe.ts';

const USER = { userId: 'phone', token: 'phone-token', secret: 'phone-secret' };
const auth = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;
const ARTEFACTS = join(process.cwd(), 'test-output');
// Each measurement: the median of 100 ms windows over this long.
const MEASURE_MS = 1500;

let server: ConfmixServer;
let base: string;
let dir: string;
const browsers: Browser[] = [];
const events: Array<Record<string, unknown>> = [];
const eventWaiters: Array<() => void> = [];
const stopEvents = new AbortController();

/** A WAV of a tone (Chromium loops it as the fake microphone). */
function toneWav(path: string, freq: number, amplitude: number, seconds = 10, rate = 48000): void {
  writeFileSync(path, encodeWav(new ToneGenerator(freq, amplitude, rate).next(rate * seconds), rate));
}

async function launch(wav: string): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--allow-loopback-in-peer-connection',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-background-networking',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      `--use-file-for-fake-audio-capture=${wav}`,
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
    ],
  });
  browsers.push(browser);
  return browser;
}

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, { ...init, headers: { authorization: auth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(init.headers as object) } });
}

// The conference's event stream (read by the page's own API client), kept for assertions.
function followEvents(conferenceId: string): void {
  const client = new ConferenceApi({ userId: USER.userId, token: USER.token, secret: USER.secret }, base);
  void client
    .events(conferenceId, (payload) => {
      events.push(payload);
      for (const wake of eventWaiters.splice(0)) wake();
    }, stopEvents.signal)
    .catch(() => {});
}

async function waitForEvent(match: (event: Record<string, unknown>) => boolean, from = 0): Promise<Record<string, unknown>> {
  for (;;) {
    const found = events.slice(from).find(match);
    if (found) return found;
    await new Promise<void>((resolve) => eventWaiters.push(resolve));
  }
}

// Opens the softphone at a phone's width and presses Join from the keyboard.
async function pressJoin(browser: Browser, conferenceId: string, name: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const query = new URLSearchParams({ conference: conferenceId, name, user: USER.userId, token: USER.token, secret: USER.secret, processing: 'off' });
  await page.goto(`${base}/softphone?${query}`);
  await page.focus('#join-button');
  await page.keyboard.press('Enter');
  return page;
}

// The refusal a page shows for a join that cannot happen.
async function refusal(browser: Browser, conferenceId: string): Promise<string> {
  const page = await pressJoin(browser, conferenceId, 'Eve');
  await page.waitForSelector('#status.error');
  const text = (await page.textContent('#status')) ?? '';
  await page.close();
  return text;
}

async function joinPage(browser: Browser, conferenceId: string, name: string): Promise<Page> {
  const page = await pressJoin(browser, conferenceId, name);
  await page.waitForSelector('#call:not([hidden])');
  await page.waitForFunction(() => (document.getElementById('remote') as HTMLAudioElement).srcObject !== null);
  await page.evaluate(installProbe);
  return page;
}

function level(page: Page, freq: number): Promise<number> {
  return page.evaluate(([f, ms]) => (window as unknown as { confmixProbe: { level(f: number, ms: number): number } }).confmixProbe.level(f, ms), [freq, MEASURE_MS] as const);
}

// Waits until the page has received another MEASURE_MS of audio, then measures `freq`.
async function freshLevel(page: Page, freq: number): Promise<number> {
  const received = (): Promise<number> => page.evaluate(() => (window as unknown as { confmixProbe: { received(): number; rate: number } }).confmixProbe.received());
  const rate = await page.evaluate(() => (window as unknown as { confmixProbe: { rate: number } }).confmixProbe.rate);
  const start = await received();
  await page.waitForFunction(
    ([from, want]) => (window as unknown as { confmixProbe: { received(): number } }).confmixProbe.received() >= from + want,
    [start, (rate * MEASURE_MS) / 1000] as const,
    { polling: 100, timeout: 0 },
  );
  return level(page, freq);
}

// Waits until `condition` holds of fresh measurements (the mix follows a key within a tick, the
// audio path adds its own delay): measured again over each new window.
async function untilMeasured(page: Page, freq: number, condition: (db: number) => boolean): Promise<number> {
  for (;;) {
    const db = await freshLevel(page, freq);
    if (condition(db)) return db;
  }
}

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
  stopEvents.abort();
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
    followEvents(conferenceId);
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

    // Each hears the other's tone; its own comes back more than 40 dB lower (the mix is N-1).
    const aHearsB = await untilMeasured(pageA, 1000, (db) => db > -40);
    const bHearsA = await untilMeasured(pageB, 440, (db) => db > -40);
    expect(await level(pageA, 440)).toBeLessThan(aHearsB - 40);
    expect(await level(pageB, 1000)).toBeLessThan(bHearsA - 40);

    // The talking indicator of each speaker lights in the other page, from the event stream.
    await pageA.waitForSelector(`#members li.talking[data-member-id="${bob.id}"]`);
    await pageB.waitForSelector(`#members li.talking[data-member-id="${alice.id}"]`);
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
