// The HTTP load tool: Debian's wrk (C, one thread, epoll), driven by a generated Lua script.
// Its cost per request is a fraction of a JavaScript client's, which matters on a small machine
// where the load tool and the server share the cores: the figure is then the server's, not the
// client's.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One request of a phase's cycle. */
export interface WrkRequest {
  path: string;
  body?: string;
}

/** One load phase. */
export interface WrkPhase {
  /** The server's base URL (scheme, host and port). */
  baseUrl: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Sent in turn, over and over (one Lua state: wrk runs one thread). */
  requests: WrkRequest[];
  connections: number;
  /** How long it runs, s (whole seconds). */
  durationS: number;
}

/** What wrk measured. */
export interface WrkResult {
  /** Responses with a 2xx or 3xx status. */
  ok: number;
  /** Responses with another status, and socket errors and timeouts. */
  errors: number;
  /** Its run time, s. */
  seconds: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
}

/** A Lua long string holding `text` (its level chosen so the text cannot close it). */
function luaString(text: string): string {
  let level = '=';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[\n${text}]${level}]`;
}

function script(phase: WrkPhase): string {
  const headers = Object.entries(phase.headers).map(([name, value]) => `[ ${luaString(name)} ] = ${luaString(value)}`).join(', ');
  const specs = phase.requests.map((r) => `{ ${luaString(r.path)}, ${r.body === undefined ? 'nil' : luaString(r.body)} }`).join(',\n');
  return `
local specs = {
${specs}
}
local formatted = {}
local sent = 0

function init(args)
  for i, spec in ipairs(specs) do
    local headers = { ${headers} }
    headers["Host"] = wrk.headers["Host"]
    formatted[i] = wrk.format(${luaString(phase.method)}, spec[1], headers, spec[2])
  end
end

function request()
  sent = sent + 1
  return formatted[((sent - 1) % #formatted) + 1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"errorsStatus":%d,"errorsSocket":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d}\\n',
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, summary.duration, latency:percentile(50), latency:percentile(99)))
end
`;
}

/** Runs one phase with wrk (one thread) and reads its result. */
export async function runWrk(phase: WrkPhase): Promise<WrkResult> {
  const dir = await mkdtemp(join(tmpdir(), 'confmix-wrk-'));
  try {
    const file = join(dir, 'phase.lua');
    await writeFile(file, script(phase));
    const args = ['-t1', `-c${phase.connections}`, `-d${Math.ceil(phase.durationS)}s`, '--timeout', '10s', '-s', file, phase.baseUrl];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', (e) => reject(new Error(`wrk did not start (${e.message}); install it: scripts/system-packages.sh install test`)));
      child.on('exit', resolve);
    });
    const line = /WRK_RESULT (\{.*\})/.exec(out);
    if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err || out}`);
    const r = JSON.parse(line[1]) as { requests: number; errorsStatus: number; errorsSocket: number; durationUs: number; p50Us: number; p99Us: number };
    return { ok: r.requests - r.errorsStatus, errors: r.errorsStatus + r.errorsSocket, seconds: r.durationUs / 1e6, latencyP50Ms: r.p50Us / 1000, latencyP99Ms: r.p99Us / 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
