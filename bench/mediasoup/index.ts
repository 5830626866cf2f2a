// `npm run bench -- mediasoup [--members 100,250,500] [--talkers 0.1] [--duration 10] [--warmup 3]`:
// N members joined through the mediasoup bridge (a real worker, one router), fed by the native load
// generator into mediasoup PlainTransports (Opus, 16 kHz room, 10% talkers, the rest DTX), each
// consuming its own mix producer; and in the same run the same room of plain RTP members
// (bench/load's room) as the baseline. CPU per member is split between confmix's process and
// mediasoup's worker.
import { fork } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchReport } from '../run.ts';
import { ENGINE_PORT_MAX, ENGINE_PORT_MIN, runRoomProcess } from '../load/index.ts';
import { DEFAULT_ENERGY_LEVEL, talkerCount } from '../load/options.ts';
import type { RoomResult } from '../load/protocol.ts';
import type { BridgedRoomConfig, BridgedRoomResult, FromBridgedRoom } from './protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const RATE = 16000;
/** Setup of hundreds of bridged members, and a first build of the worker, on top of the window. */
const OVERHEAD_LIMIT_MS = 900_000;
const PPS_OK = 49.5;
const LATENESS_P99_TARGET_MS = 1;
const TARGET_MEMBERS = 500;

function runBridged(config: BridgedRoomConfig): Promise<BridgedRoomResult> {
  return new Promise((done, fail) => {
    const child = fork(join(here, 'room.ts'), [JSON.stringify(config)], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] });
    const limitMs = (config.warmupS + config.durationS) * 1000 + OVERHEAD_LIMIT_MS;
    const timer = setTimeout(() => settle(new Error(`the bridged room of ${config.members} took over ${limitMs / 1000} s`)), limitMs);
    let settled = false;
    function settle(error: Error | null, result?: BridgedRoomResult): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (error) fail(error);
      else done(result!);
    }
    child.on('message', (message: FromBridgedRoom) => (message.type === 'result' ? settle(null, message.result) : settle(new Error(`the bridged room of ${config.members} failed: ${message.message}`))));
    child.once('exit', (code, signal) => settle(new Error(`the bridged room of ${config.members} exited (${signal ?? `code ${String(code)}`}) without a result`)));
  });
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${value}'`);
  return n;
}

interface Row {
  bridged: BridgedRoomResult;
  plain: RoomResult;
}

const fixed = (n: number, digits: number): string => n.toFixed(digits);

function table(rows: Row[]): string {
  const header = ['members', 'talkers', 'confmix %core', 'worker %core', 'confmix %/member', 'worker %/member', 'plain RTP %/member', 'bridged/plain', 'rx pps min', 'rx pps mean', 'late p99 ms', 'late max ms', 'plain late p99', 'setup s'];
  const lines = rows.map(({ bridged: b, plain: p }) => [
    String(b.members), String(b.talkers), fixed(b.engineCpuPct, 1), fixed(b.workerCpuPct, 1), fixed(b.engineCpuPct / b.members, 4), fixed(b.workerCpuPct / b.members, 4),
    fixed(p.cpuPctPerParticipant, 4), fixed((b.engineCpuPct + b.workerCpuPct) / b.members / p.cpuPctPerParticipant, 2), fixed(b.rxPpsPerParticipantMin, 1), fixed(b.rxPpsPerParticipantMean, 1),
    fixed(b.tickLatenessP99Ms, 2), fixed(b.tickLatenessMaxMs, 2), fixed(p.tickLatenessP99Ms, 2), fixed(b.setupS, 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...lines.map(line)].join('\n');
}

/** `npm run bench -- mediasoup`. */
export const mediasoupBench: Bench = {
  description: 'members joined through the mediasoup bridge vs plain RTP members: CPU per member (confmix and mediasoup worker), rx packets/s, tick lateness',
  async run(args: string[]): Promise<BenchReport> {
    const members = (flag(args, 'members') ?? `100,250,${TARGET_MEMBERS}`).split(',').map((n) => positive(n, 'members', 0));
    const fraction = Number(flag(args, 'talkers') ?? 0.1);
    const durationS = positive(flag(args, 'duration'), 'duration', 10);
    const warmupS = positive(flag(args, 'warmup'), 'warmup', 3);
    const rows: Row[] = [];
    for (const n of members) {
      const talkers = talkerCount(n, fraction);
      console.error(`mediasoup: ${n} bridged members (${talkers} talkers), ${warmupS} s warm-up, ${durationS} s window ...`);
      const bridged = await runBridged({ members: n, talkers, rate: RATE, warmupS, durationS, portMin: ENGINE_PORT_MIN, portMax: ENGINE_PORT_MAX });
      console.error(`mediasoup: ${n} plain RTP members, the baseline ...`);
      const plain = await runRoomProcess({ codec: 'opus', members: n, talkers, rooms: 0, noisy: false, energyLevel: DEFAULT_ENERGY_LEVEL, rate: RATE, warmupS, durationS, portMin: ENGINE_PORT_MIN, portMax: ENGINE_PORT_MAX });
      rows.push({ bridged, plain });
    }
    console.log(
      `mediasoup: one conference (${RATE} Hz, 20 ms) on one shard, bridged to one mediasoup router; each member's producer on the app's PlainTransport (comedia, rtcp-mux), ` +
        `fed by the native load generator (Opus; talkers a tone loop, the rest DTX), and a consumer of its own mix producer on the same transport; ` +
        `the baseline is the same room of plain RTP members (bench/load). CPU is % of one core over the window; the worker's from /proc.`,
    );
    console.log(table(rows));
    const target = rows.find((r) => r.bridged.members === TARGET_MEMBERS);
    if (target) {
      const met = target.bridged.rxPpsPerParticipantMin >= PPS_OK && target.bridged.tickLatenessP99Ms <= LATENESS_P99_TARGET_MS;
      console.log(
        `  target one room of ${TARGET_MEMBERS} bridged members, each receiving 50 packets/s, tick lateness p99 <= ${LATENESS_P99_TARGET_MS} ms: ` +
          `${met ? 'MET' : 'MISSED'} (rx min ${target.bridged.rxPpsPerParticipantMin.toFixed(1)}/s, p99 ${target.bridged.tickLatenessP99Ms.toFixed(2)} ms)`,
      );
    }
    console.log('  notes: rx pps counts every datagram a member\'s transport sent to the generator (its mix, plus mediasoup\'s RTCP about once a second).');
    const round = (n: number, digits: number): number => Number(n.toFixed(digits));
    return {
      bench: 'mediasoup',
      results: rows.map(({ bridged: b, plain: p }) => ({
        members: b.members,
        cpuPctPerMemberConfmix: round(b.engineCpuPct / b.members, 4),
        cpuPctPerMemberWorker: round(b.workerCpuPct / b.members, 4),
        cpuPctPerRtpMember: round(p.cpuPctPerParticipant, 4),
        rxPpsPerParticipantMin: round(b.rxPpsPerParticipantMin, 1),
        tickLatenessP99Ms: round(b.tickLatenessP99Ms, 3),
      })),
    };
  },
};
