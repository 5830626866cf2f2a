// Softphone pages in real Chromium for tests: a tone file as each browser's microphone, joining
// through the page's own form, the conference's event stream kept for assertions, and levels
// measured in the page (browserProbe) over fresh windows of received audio. No sleeps: every wait
// is for an event or a measured condition.
import { writeFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { encodeWav } from '../../src/audio/wav.ts';
import { ConferenceApi } from '../../web/softphone/api.ts';
import type { Account } from '../../web/softphone/api.ts';
import { ToneGenerator } from './audio.ts';
import { installProbe } from './browserProbe.ts';

/** Each measurement: the median of 100 ms windows over this long. */
export const MEASURE_MS = 1500;

/** A WAV of a tone (Chromium loops it as the fake microphone). */
export function toneWav(path: string, freq: number, amplitude: number, seconds = 10, rate = 48000): void {
  writeFileSync(path, encodeWav(new ToneGenerator(freq, amplitude, rate).next(rate * seconds), rate));
}

/** Chromium with the house flags, capturing `wav` as its microphone. */
export function launchChromium(wav: string): Promise<Browser> {
  return chromium.launch({
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
}

/** A conference's events as the page's own API client reads them, kept for assertions. */
export class EventLog {
  /** Every event so far. */
  readonly events: Array<Record<string, unknown>> = [];
  readonly #waiters: Array<() => void> = [];
  readonly #stop = new AbortController();

  /** Follows `conferenceId`'s events on the server at `base`. */
  constructor(base: string, account: Account, conferenceId: string) {
    void new ConferenceApi(account, base)
      .events(conferenceId, (payload) => {
        this.events.push(payload);
        for (const wake of this.#waiters.splice(0)) wake();
      }, this.#stop.signal)
      .catch(() => {});
  }

  /** How many events so far (a mark for wait's `from`). */
  get length(): number {
    return this.events.length;
  }

  /** The first event from index `from` on that matches, waiting for it. */
  async wait(match: (event: Record<string, unknown>) => boolean, from = 0): Promise<Record<string, unknown>> {
    for (;;) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Stops following. */
  stop(): void {
    this.#stop.abort();
  }
}

/** Opens the softphone at a phone's width and presses Join from the keyboard. */
export async function pressJoin(browser: Browser, base: string, account: Account, conferenceId: string, name: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const query = new URLSearchParams({ conference: conferenceId, name, user: account.userId, token: account.token, secret: account.secret, processing: 'off' });
  await page.goto(`${base}/softphone?${query}`);
  await page.focus('#join-button');
  await page.keyboard.press('Enter');
  return page;
}

/** The refusal a page shows for a join that cannot happen. */
export async function refusal(browser: Browser, base: string, account: Account, conferenceId: string): Promise<string> {
  const page = await pressJoin(browser, base, account, conferenceId, 'Eve');
  await page.waitForSelector('#status.error');
  const text = (await page.textContent('#status')) ?? '';
  await page.close();
  return text;
}

/** Joins through the page and installs the probe on what it receives. */
export async function joinPage(browser: Browser, base: string, account: Account, conferenceId: string, name: string): Promise<Page> {
  const page = await pressJoin(browser, base, account, conferenceId, name);
  await page.waitForSelector('#call:not([hidden])');
  await page.waitForFunction(() => (document.getElementById('remote') as HTMLAudioElement).srcObject !== null);
  await page.evaluate(installProbe);
  return page;
}

/** The level of `freq` (dBFS) the page received over the last MEASURE_MS. */
export function level(page: Page, freq: number): Promise<number> {
  return page.evaluate(([f, ms]) => (window as unknown as { confmixProbe: { level(f: number, ms: number): number } }).confmixProbe.level(f, ms), [freq, MEASURE_MS] as const);
}

/** Waits until the page has received another MEASURE_MS of audio, then measures `freq`. */
export async function freshLevel(page: Page, freq: number): Promise<number> {
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

/**
 * Waits until `condition` holds of fresh measurements (the mix follows a key within a tick, the
 * audio path adds its own delay): measured again over each new window.
 */
export async function untilMeasured(page: Page, freq: number, condition: (db: number) => boolean): Promise<number> {
  for (;;) {
    const db = await freshLevel(page, freq);
    if (condition(db)) return db;
  }
}

/** One side of a two-page call: its page, the tone its microphone plays, its member's id. */
export interface CallSide {
  /** The joined page. */
  page: Page;
  /** The tone its fake microphone plays, Hz. */
  tone: number;
  /** Its member's id. */
  memberId: string;
}

/**
 * Two pages in one call: waits until each hears the other's tone (above −40 dBFS) and measures
 * its own tone then (the mix is N−1); then until each lights the other's talking indicator.
 */
export async function hearEachOther(a: CallSide, b: CallSide): Promise<{ aHearsB: number; bHearsA: number; aHearsSelf: number; bHearsSelf: number }> {
  const aHearsB = await untilMeasured(a.page, b.tone, (db) => db > -40);
  const bHearsA = await untilMeasured(b.page, a.tone, (db) => db > -40);
  const heard = { aHearsB, bHearsA, aHearsSelf: await level(a.page, a.tone), bHearsSelf: await level(b.page, b.tone) };
  await a.page.waitForSelector(`#members li.talking[data-member-id="${b.memberId}"]`);
  await b.page.waitForSelector(`#members li.talking[data-member-id="${a.memberId}"]`);
  return heard;
}
