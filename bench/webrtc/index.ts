// The WebRTC leg benchmark: `npm run bench -- webrtc [--members 10,25,50] [--duration 5]
// [--warmup 2]`. For each N, N werift peers in a generator process (bench/webrtc/generator.ts;
// a tenth talking, Opus 20 ms) join one conference of this process's engine as WebRTC members;
// then N plain Opus RTP peers join another, measured the same way in the same run. Reported: the
// engine's CPU per member of each kind (this process's CPU over the window, less the idle engine's),
// their ratio, the lowest packets/s a peer received, tick lateness p99, and where the CPU went by
// thread (the shard's worker runs werift: ICE, DTLS, SRTP, RTP parse and the crossing to native).
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../src/index.ts';
import type { Engine } from '../../src/index.ts';
import { threadTimes, threadTimesDelta, type ThreadTimes } from '../load/threadCpu.ts';
import type { Bench, BenchReport } from '../run.ts';
import { packetCosts } from './breakdown.ts';
import type { FromGenerator, ToGenerator } from './protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

interface Options {
  members: number[];
  durationS: number;
  warmupS: number;
}

function parseArgs(args: string[]): Options {
  const options: Options = { members: [10, 25, 50], durationS: 5, warmupS: 2 };
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1];
    if (args[i] === '--members') options.members = value.split(',').map(Number);
    else if (args[i] === '--duration') options.durationS = Number(value);
    else if (args[i] === '--warmup') options.warmupS = Number(value);
    else throw new Error(`unknown option ${args[i]}`);
  }
  if (options.members.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--members takes positive integers, e.g. 10,25,50');
  return options;
}

/** The generator process and a request/answer over its IPC channel. */
class Generator {
  readonly #child: ChildProcess;
  #pending: { done: (message: FromGenerator) => void; fail: (error: Error) => void } | null = null;

  constructor() {
    this.#child = fork(join(here, 'generator.ts'), [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] });
    this.#child.on('message', (message: FromGenerator) => this.#pending?.done(message));
    this.#child.on('exit', () => this.#pending?.fail(new Error('the generator exited')));
  }

  async ask<T extends FromGenerator['type']>(message: ToGenerator, answer: T): Promise<Extract<FromGenerator, { type: T }>> {
    if (this.#child.exitCode !== null) throw new Error('the generator exited');
    const reply = await new Promise<FromGenerator>((done, fail) => {
      this.#pending = { done, fail };
      this.#child.send(message);
    });
    if (reply.type === 'error') throw new Error(`generator: ${reply.message}`);
    if (reply.type !== answer) throw new Error(`generator answered ${reply.type}, not ${answer}`);
    return reply as Extract<FromGenerator, { type: T }>;
  }

  kill(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

interface Window {
  /** Offer to connected, per member (ICE and DTLS), ms. */
  setupMsPerMember?: number;
  cpuPct: number;
  threads: ThreadTimes;
  ppsMin: number;
  latenessP99Ms: number;
}

// CPU of this process over the window (%, of one core), per-thread times, and what peers received.
async function measure(engine: Engine, generator: Generator, options: Options): Promise<Window> {
  await sleep(options.warmupS * 1000);
  await engine.resetTickLateness();
  await generator.ask({ type: 'count' }, 'count');
  const threadsBefore = threadTimes();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await sleep(options.durationS * 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - started;
  const threads = threadTimesDelta(threadsBefore, threadTimes());
  const { received } = await generator.ask({ type: 'count' }, 'count');
  const stats = await engine.shardStats();
  return {
    cpuPct: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    threads,
    ppsMin: Math.min(...received) / (elapsedMs / 1000),
    latenessP99Ms: Math.max(...stats.map((s) => s.lateness.p99Ms)),
  };
}

async function idleCpuPct(engine: Engine, options: Options): Promise<number> {
  const conference = await engine.createConference({});
  await sleep(options.warmupS * 1000);
  const before = process.cpuUsage();
  const started = performance.now();
  await sleep(options.durationS * 1000);
  const cpu = process.cpuUsage(before);
  await conference.update({ state: 'completed' });
  return ((cpu.user + cpu.system) / 1000 / (performance.now() - started)) * 100;
}

async function webrtcRoom(engine: Engine, generator: Generator, n: number, options: Options): Promise<Window> {
  const conference = await engine.createConference({});
  const { sdps } = await generator.ask({ type: 'offers', count: n }, 'offers');
  const setupStart = performance.now();
  const answers: string[] = [];
  for (const sdp of sdps) answers.push((await conference.addMember({ leg: { kind: 'webrtc' }, sdp })).sdp);
  await generator.ask({ type: 'answers', sdps: answers }, 'connected');
  const setupMsPerMember = (performance.now() - setupStart) / n;
  const window = { ...(await measure(engine, generator, options)), setupMsPerMember };
  await generator.ask({ type: 'close' }, 'closed');
  await conference.update({ state: 'completed' });
  return window;
}

async function rtpRoom(engine: Engine, generator: Generator, n: number, options: Options): Promise<Window> {
  const conference = await engine.createConference({});
  const { ports } = await generator.ask({ type: 'rtp-sockets', count: n }, 'rtp-sockets');
  const legPorts: number[] = [];
  for (const port of ports) {
    const member = await conference.addMember({ leg: { kind: 'rtp', codec: 'opus', remoteAddress: '127.0.0.1', remotePort: port } });
    legPorts.push((member.leg as { localPort: number }).localPort);
  }
  await generator.ask({ type: 'rtp-peers', ports: legPorts }, 'sending');
  const window = await measure(engine, generator, options);
  await generator.ask({ type: 'close' }, 'closed');
  await conference.update({ state: 'completed' });
  return window;
}

// The window's thread CPU as shares: the shard's worker (werift), the media thread, the rest.
function breakdown(threads: ThreadTimes): string {
  const entries = Object.entries(threads).filter(([, t]) => t.cpuMs > 0).sort((a, b) => b[1].cpuMs - a[1].cpuMs);
  const total = entries.reduce((sum, [, t]) => sum + t.cpuMs, 0);
  return entries.slice(0, 5).map(([name, t]) => `${name} ${((100 * t.cpuMs) / Math.max(total, 1)).toFixed(0)}%`).join(', ');
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** The WebRTC leg benchmark. */
export const webrtcBench: Bench = {
  description: 'WebRTC (werift) members vs plain Opus RTP members in one run: CPU per member, ratio, rx packets/s, tick lateness (N = 10,25,50)',
  async run(args: string[]): Promise<BenchReport> {
    const options = parseArgs(args);
    // A WebRTC join waits for werift's gathering in the shard: give it room on a busy machine.
    const engine = await createEngine({ shards: 1, portMin: 40000, portMax: 49999, requestTimeoutMs: 30_000 });
    const generator = new Generator();
    const results: Array<Record<string, unknown>> = [];
    try {
      const idle = await idleCpuPct(engine, options);
      console.log(`idle engine: ${idle.toFixed(2)} % of a core`);
      console.log('members  webrtc %/member  rtp %/member  ratio  rx pps min (webrtc/rtp)  lateness p99 ms (webrtc/rtp)');
      for (const n of options.members) {
        const webrtc = await webrtcRoom(engine, generator, n, options);
        const rtp = await rtpRoom(engine, generator, n, options);
        const perWebrtc = Math.max(webrtc.cpuPct - idle, 0) / n;
        const perRtp = Math.max(rtp.cpuPct - idle, 0) / n;
        const ratio = perRtp > 0 ? perWebrtc / perRtp : Number.POSITIVE_INFINITY;
        console.log(
          `${String(n).padStart(7)}  ${perWebrtc.toFixed(3).padStart(15)}  ${perRtp.toFixed(3).padStart(12)}  ${ratio.toFixed(1).padStart(5)}  ` +
            `${webrtc.ppsMin.toFixed(1)}/${rtp.ppsMin.toFixed(1)}`.padStart(25) +
            `  ${webrtc.latenessP99Ms.toFixed(2)}/${rtp.latenessP99Ms.toFixed(2)}`.padStart(30),
        );
        console.log(`         webrtc threads: ${breakdown(webrtc.threads)}; join (ICE + DTLS) ${webrtc.setupMsPerMember?.toFixed(1)} ms per member`);
        console.log(`         rtp threads:    ${breakdown(rtp.threads)}`);
        results.push({
          members: n,
          cpuPctPerWebrtcMember: round(perWebrtc),
          cpuPctPerRtpMember: round(perRtp),
          ratio: round(ratio, 2),
          rxPpsPerParticipantMin: round(Math.min(webrtc.ppsMin, rtp.ppsMin), 1),
          tickLatenessP99Ms: round(Math.max(webrtc.latenessP99Ms, rtp.latenessP99Ms)),
        });
      }
      const costs = packetCosts();
      const perMemberPct = (us: number): string => `${((us * 50) / 1e4).toFixed(3)} %`;
      console.log('one WebRTC packet in the shard worker (µs; % of a core per member at 50 packets/s each way):');
      console.log(`  SRTP decrypt (in) ${costs.srtpDecryptUs.toFixed(2)} µs (${perMemberPct(costs.srtpDecryptUs)}), SRTP encrypt (out) ${costs.srtpEncryptUs.toFixed(2)} µs (${perMemberPct(costs.srtpEncryptUs)})`);
      console.log(`  RTP parse + serialise (in and out) ${costs.rtpParseSerializeUs.toFixed(2)} µs (${perMemberPct(costs.rtpParseSerializeUs)}), crossing to native (batched) ${costs.crossingUs.toFixed(2)} µs (${perMemberPct(costs.crossingUs)})`);
      console.log('  the rest of a WebRTC member (its total less the RTP member and these) is werift\'s own per-packet work: events, statistics, RTCP, timers');
    } finally {
      await generator.ask({ type: 'close' }, 'closed').catch(() => {});
      generator.kill();
      await engine.close();
    }
    return { bench: 'webrtc', results };
  },
};
