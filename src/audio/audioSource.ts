// From a file URL to mono int16 PCM at the conference rate: read a local file or fetch an
// http(s) URL (with a timeout and a size cap), decode the WAV, resample once.

import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, UnsupportedError } from '../errors.ts';
import { AudioSourceError } from './AudioSourceError.ts';
import { CONFERENCE_RATES, resampleAsync } from './resample.ts';
import { parseWav } from './wav.ts';

/** Where a playback's audio comes from. */
export interface AudioSource {
  /** An http(s) URL, a file:// URL, or a local path (relative paths resolve from the working directory). */
  readonly fileUrl: string;
}

/** Limits on fetching and reading a source. */
export interface LoadAudioOptions {
  /** Give up on a fetch after this many ms, body included (default 10 000). */
  readonly timeoutMs?: number;
  /** Refuse a file or body bigger than this many bytes (default 50 MiB). */
  readonly maxBytes?: number;
}

/** Default fetch timeout in ms. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Default size cap in bytes: about 9 minutes of 48 kHz stereo 16-bit. */
export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

const MAX_TIMEOUT_MS = 10 * 60_000;
const MAX_MAX_BYTES = 1024 * 1024 * 1024;

interface Limits {
  timeoutMs: number;
  maxBytes: number;
}

function checkLimits(options: LoadAudioOptions | undefined): Limits {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidArgumentError('options must be an object');
  }
  const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(`timeoutMs must be a number of ms in (0, ${MAX_TIMEOUT_MS}], got ${String(timeoutMs)}`);
  }
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes <= 0 || maxBytes > MAX_MAX_BYTES) {
    throw new InvalidArgumentError(`maxBytes must be an integer in [1, ${MAX_MAX_BYTES}], got ${String(maxBytes)}`);
  }
  return { timeoutMs, maxBytes };
}

/** Reads a local file, refusing one over the size cap before reading it. */
async function readLocal(path: string, label: string, limits: Limits): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new AudioSourceError('unreadable', label, `${label}: not a regular file`);
    if (info.size > limits.maxBytes) {
      throw new AudioSourceError('too-large', label, `${label}: ${info.size} bytes is over the ${limits.maxBytes}-byte cap`);
    }
    return await readFile(path);
  } catch (err) {
    if (err instanceof AudioSourceError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot read (${code ?? String(err)})`;
    throw new AudioSourceError('unreadable', label, `${label}: ${why}`, { cause: err });
  }
}

/** The network error code buried in a failed fetch (ECONNREFUSED, ENOTFOUND, ...), if any. */
function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Fetches an http(s) URL with one deadline over headers and body, and a running size cap. */
async function fetchRemote(url: string, limits: Limits): Promise<Uint8Array> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, limits.timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new AudioSourceError('http-status', url, `${url}: the server answered HTTP ${response.status}`, {
        status: response.status,
      });
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new AudioSourceError('too-large', url, `${url}: ${declared} bytes is over the ${limits.maxBytes}-byte cap`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > limits.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new AudioSourceError('too-large', url, `${url}: the body is over the ${limits.maxBytes}-byte cap`);
        }
        chunks.push(value);
      }
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    return bytes;
  } catch (err) {
    if (err instanceof AudioSourceError) throw err;
    if (timedOut) {
      throw new AudioSourceError('timeout', url, `${url}: no complete answer within ${limits.timeoutMs} ms`, { cause: err });
    }
    const code = networkCode(err);
    throw new AudioSourceError('unreadable', url, `${url}: fetch failed (${code ?? String(err)})`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads the raw bytes behind `fileUrl`: http(s) is fetched, file:// and plain paths are read from
 * disk. Throws AudioSourceError (unreadable, timeout, http-status, too-large) or
 * UnsupportedError for another URL scheme.
 */
export async function readAudioBytes(fileUrl: string, options?: LoadAudioOptions): Promise<Uint8Array> {
  if (typeof fileUrl !== 'string' || fileUrl.trim() === '') {
    throw new InvalidArgumentError('fileUrl must be a non-empty string');
  }
  const limits = checkLimits(options);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(fileUrl)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https') {
    try {
      new URL(fileUrl);
    } catch {
      throw new InvalidArgumentError(`fileUrl is not a valid URL: ${fileUrl}`);
    }
    return fetchRemote(fileUrl, limits);
  }
  if (scheme === 'file') {
    let path: string;
    try {
      path = fileURLToPath(fileUrl);
    } catch (err) {
      throw new InvalidArgumentError(`fileUrl is not a valid local file URL: ${fileUrl} (${(err as Error).message})`);
    }
    return readLocal(path, fileUrl, limits);
  }
  // A one-letter "scheme" is a Windows drive letter, so a path.
  if (scheme !== undefined && scheme.length > 1) {
    throw new UnsupportedError(`fileUrl scheme '${scheme}:' is not supported; use http:, https:, file: or a local path`);
  }
  return readLocal(resolve(fileUrl), fileUrl, limits);
}

/**
 * Loads a WAV from `source.fileUrl` and returns it as mono int16 PCM at `rate` (a conference
 * rate), decoded and resampled once. Errors: InvalidArgumentError for bad arguments,
 * UnsupportedError for an unknown URL scheme, AudioSourceError for everything about the source.
 */
export async function loadAudio(source: AudioSource, rate: number, options?: LoadAudioOptions): Promise<Int16Array> {
  if (source === null || typeof source !== 'object') throw new InvalidArgumentError('source must be an object with a fileUrl');
  if (typeof rate !== 'number' || !CONFERENCE_RATES.includes(rate)) {
    throw new InvalidArgumentError(`rate must be one of ${CONFERENCE_RATES.join(', ')} Hz, got ${String(rate)}`);
  }
  const bytes = await readAudioBytes(source.fileUrl, options);
  const wav = parseWav(bytes, source.fileUrl);
  return resampleAsync(wav.samples, wav.sampleRate, rate);
}
