import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnsupportedError } from '../../src/errors.ts';
import { AudioSourceError, type AudioSourceFailure } from '../../src/audio/AudioSourceError.ts';
import { loadAudio, readAudioBytes } from '../../src/audio/audioSource.ts';
import { db, goertzelAmplitude, sine, wav16 } from './player-helpers.ts';

let dir: string;
let server: Server;
let base: string;
let hangingRequests = 0;
const ramp = Int16Array.from({ length: 1600 }, (_, i) => i * 20 - 16000);
const rampWav = wav16(ramp, 16000);

async function failure(promise: Promise<unknown>): Promise<AudioSourceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AudioSourceError);
  return err as AudioSourceError;
}

async function expectReason(promise: Promise<unknown>, reason: AudioSourceFailure, message: RegExp): Promise<AudioSourceError> {
  const err = await failure(promise);
  expect(err.code).toBe('ERR_AUDIO_SOURCE');
  expect(err.reason).toBe(reason);
  expect(err.message).toMatch(message);
  return err;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confmix-player-'));
  server = createServer((req, res) => {
    switch (req.url) {
      case '/ramp.wav':
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': rampWav.length });
        res.end(rampWav);
        return;
      case '/tone44k.wav':
        res.writeHead(200, { 'content-type': 'audio/wav' });
        res.end(wav16(sine(1000, 44100, 1.5, 10000), 44100));
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ramp.wav' });
        res.end();
        return;
      case '/page.html':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>not audio</body></html>');
        return;
      case '/big-declared':
        res.writeHead(200, { 'content-length': 5000 });
        res.end(new Uint8Array(5000));
        return;
      case '/big-chunked':
        // No content-length: the cap must hold while streaming.
        res.writeHead(200, { 'content-type': 'audio/wav' });
        for (let i = 0; i < 10; i++) res.write(new Uint8Array(1000));
        res.end();
        return;
      case '/hang':
        hangingRequests++; // headers never come
        return;
      case '/fail':
        res.writeHead(500);
        res.end('boom');
        return;
      default:
        res.writeHead(404);
        res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('loadAudio from disk', () => {
  it('reads a path, a relative path and a file:// URL to the same samples', async () => {
    const path = join(dir, 'ramp.wav');
    await writeFile(path, rampWav);
    for (const fileUrl of [path, relative(process.cwd(), path), pathToFileURL(path).href]) {
      const pcm = await loadAudio({ fileUrl }, 16000);
      expect(Array.from(pcm)).toEqual(Array.from(ramp));
    }
  });

  it('resamples to the conference rate', async () => {
    const path = join(dir, 'tone22k.wav');
    await writeFile(path, wav16(sine(700, 22050, 1.5, 12000), 22050));
    const pcm = await loadAudio({ fileUrl: path }, 8000);
    expect(pcm.length).toBe(Math.ceil((33075 * 8000) / 22050));
    expect(Math.abs(db(goertzelAmplitude(pcm, 700, 8000, 2000, 8000), 12000))).toBeLessThan(0.1);
  });

  it('names a missing file, a directory and a file over the cap', async () => {
    await expectReason(loadAudio({ fileUrl: join(dir, 'absent.wav') }, 16000), 'unreadable', /no such file/);
    await mkdir(join(dir, 'folder.wav'));
    await expectReason(loadAudio({ fileUrl: join(dir, 'folder.wav') }, 16000), 'unreadable', /not a regular file/);
    const path = join(dir, 'ramp2.wav');
    await writeFile(path, rampWav);
    await expectReason(loadAudio({ fileUrl: path }, 16000, { maxBytes: 100 }), 'too-large', /over the 100-byte cap/);
  });

  it('refuses a file that is not a WAV', async () => {
    const path = join(dir, 'notes.txt');
    await writeFile(path, 'hello there, I am plain text');
    await expectReason(loadAudio({ fileUrl: path }, 16000), 'unsupported-format', /not a WAV file/);
  });
});

describe('loadAudio over http', () => {
  it('fetches and decodes a WAV', async () => {
    const pcm = await loadAudio({ fileUrl: `${base}/ramp.wav` }, 16000);
    expect(Array.from(pcm)).toEqual(Array.from(ramp));
  });

  it('follows a redirect', async () => {
    expect(Array.from(await loadAudio({ fileUrl: `${base}/redirect` }, 16000))).toEqual(Array.from(ramp));
  });

  it('resamples 44.1 kHz to 48 kHz', async () => {
    const pcm = await loadAudio({ fileUrl: `${base}/tone44k.wav` }, 48000);
    expect(pcm.length).toBe(Math.ceil((66150 * 160) / 147));
    expect(Math.abs(db(goertzelAmplitude(pcm, 1000, 48000, 12000, 48000), 10000))).toBeLessThan(0.1);
  });

  it('reports a 404 and a 500 with their status', async () => {
    const missing = await expectReason(loadAudio({ fileUrl: `${base}/nothing.wav` }, 16000), 'http-status', /HTTP 404/);
    expect(missing.status).toBe(404);
    expect(missing.source).toBe(`${base}/nothing.wav`);
    expect((await expectReason(readAudioBytes(`${base}/fail`), 'http-status', /HTTP 500/)).status).toBe(500);
  });

  it('refuses a body that is not a WAV', async () => {
    await expectReason(loadAudio({ fileUrl: `${base}/page.html` }, 16000), 'unsupported-format', /not a WAV file/);
  });

  it('enforces the size cap, declared or streamed', async () => {
    await expectReason(readAudioBytes(`${base}/big-declared`, { maxBytes: 4096 }), 'too-large', /5000 bytes/);
    await expectReason(readAudioBytes(`${base}/big-chunked`, { maxBytes: 4096 }), 'too-large', /over the 4096-byte cap/);
    expect((await readAudioBytes(`${base}/big-chunked`, { maxBytes: 10000 })).length).toBe(10000);
  });

  it('times out on a server that never answers', async () => {
    const before = hangingRequests;
    const err = await expectReason(loadAudio({ fileUrl: `${base}/hang` }, 16000, { timeoutMs: 500 }), 'timeout', /within 500 ms/);
    expect(hangingRequests).toBe(before + 1);
    expect(err.source).toBe(`${base}/hang`);
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expectReason(loadAudio({ fileUrl: `http://127.0.0.1:${port}/x.wav` }, 16000), 'unreadable', /ECONNREFUSED/);
  });
});

describe('loadAudio arguments', () => {
  it('refuses bad arguments before touching the source', async () => {
    await expect(loadAudio({ fileUrl: '' }, 16000)).rejects.toThrow(InvalidArgumentError);
    await expect(loadAudio({ fileUrl: `${base}/ramp.wav` }, 44100)).rejects.toThrow(/rate must be one of/);
    await expect(loadAudio(null as unknown as { fileUrl: string }, 16000)).rejects.toThrow(InvalidArgumentError);
    await expect(loadAudio({ fileUrl: 42 as unknown as string }, 16000)).rejects.toThrow(InvalidArgumentError);
    await expect(loadAudio({ fileUrl: `${base}/ramp.wav` }, 16000, { timeoutMs: 0 })).rejects.toThrow(/timeoutMs/);
    await expect(loadAudio({ fileUrl: `${base}/ramp.wav` }, 16000, { maxBytes: 1.5 })).rejects.toThrow(/maxBytes/);
  });

  it('refuses other URL schemes as unsupported', async () => {
    const err = await loadAudio({ fileUrl: 'ftp://example.invalid/a.wav' }, 16000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).code).toBe('ERR_UNSUPPORTED');
    expect((err as Error).message).toMatch(/'ftp:' is not supported/);
    await expect(loadAudio({ fileUrl: 'data:audio/wav;base64,AAAA' }, 16000)).rejects.toThrow(UnsupportedError);
  });
});
