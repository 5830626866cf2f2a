// The loopback load benchmark: `npm run bench -- load [--codec pcmu|opus] [--members N]
// [--talkers 0.1] [--duration 10] [--warmup 3] [--rate HZ (default: PCMU 8000, Opus 16000)]
// [--sdp (members join by SDP offer/answer, as from a gateway)] [--rooms R (R conferences of N,
// placed over the engine's shards)] [--idle (no members: the engine's fixed cost)] [--noisy (Opus
// non-talkers send low-level noise, no DTX)] [--energy-level N (0: gate off)]
// [--max-active-talkers K]`.
//
// Each run is a fresh engine process (bench/load/room.ts: a ShardPool of one shard and one
// conference, or with --rooms the engine's shards and R conferences) fed by its own generator
// process (bench/load/generator.ts), so the engine's CPU and memory are measured apart from the
// generator's and from the runs before it.
import { fork } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bench, BenchReport } from '../run.ts';
import { parseLoadArgs, roomRate, type LoadRoom } from './options.ts';
import { measurePackageIdle } from './packageIdle.ts';
import type { FromRoom, RoomConfig, RoomResult } from './protocol.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
/** The engine's RTP ports: clear of the ranges the tests bind. */
export const ENGINE_PORT_MIN = 40000;
export const ENGINE_PORT_MAX = 49999;
/** Time a room may take beyond its warm-up and window (setup, teardown, calibration). */
const ROOM_OVERHEAD_LIMIT_MS = 180_000;
/** Packets per second each member should receive at a 20 ms interval. */
const EXPECTED_PPS = 50;
/** A member below this rate missed packets (one packet short over a short window is 49.9). */
const PPS_OK = 49.5;
const LATENESS_P99_TARGET_MS = 1;

/** Runs one room in its own engine process. */
export function runRoomProcess(config: RoomConfig): Promise<RoomResult> {
  return new Promise((done, fail) => {
    const child = fork(join(here, 'room.ts'), [JSON.stringify(config)], {
      cwd: root,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    let settled = false;
    const settle = (error: Error | null, result?: RoomResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      if (error) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        fail(error);
      } else {
        done(result as RoomResult);
      }
    };
    const limitMs = (config.warmupS + config.durationS) * 1000 + ROOM_OVERHEAD_LIMIT_MS;
    const timer = setTimeout(() => settle(new Error(`the ${config.codec} room of ${config.members} took over ${limitMs / 1000} s`)), limitMs);
    child.on('message', (message: FromRoom) => {
      if (message.type === 'result') settle(null, message.result);
      else settle(new Error(`the ${config.codec} room of ${config.members} failed: ${message.message}`));
    });
    child.once('exit', (code, signal) =>
      settle(new Error(`the ${config.codec} room of ${config.members} exited (${signal ?? `code ${String(code)}`}) without a result`)),
    );
  });
}

const fixed = (n: number | null, digits: number): string => (n === null ? '-' : n.toFixed(digits));

function table(results: RoomResult[]): string {
  const header = [
    'codec', 'members', 'talkers', 'ticks/s', 'engine %core', '%core/member', 'media thr %', 'ticks %', 'sock I/O %', 'dec/tick', 'enc/tick',
    'rx pps min', 'rx pps mean', 'late p50 ms', 'late p99 ms', 'late max ms', 'overruns', 'RSS MB', 'gen %core', 'idle %core', 'B/member', 'wakes/s',
  ];
  const rows = results.map((r) => [
    r.codec + (r.noisy ? ' noisy' : '') + (r.energyLevel === 0 ? ' gate-off' : '') + (r.maxActiveTalkers === null ? '' : ` K=${r.maxActiveTalkers}`),
    r.rooms > 1 ? `${r.rooms}x${r.members}` : String(r.members), String(r.talkers), fixed(r.ticksInWindow / r.windowS, 1), fixed(r.engineCpuPct, 1), fixed(r.cpuPctPerParticipant, 4), fixed(r.mediaThreadCpuPct, 1),
    fixed(r.tickCpuPct, 1), fixed(r.socketIoCpuPct, 1), fixed(r.decodesPerTick, 0), fixed(r.encodesPerTick, 0), fixed(r.rxPpsPerParticipantMin, 1),
    fixed(r.rxPpsPerParticipantMean, 1), fixed(r.tickLatenessP50Ms, 2), fixed(r.tickLatenessP99Ms, 2), fixed(r.tickLatenessMaxMs, 2),
    String(r.overrunsInWindow), fixed(r.rssMb, 0), fixed(r.generatorCpuPct, 1), fixed(r.idleCpuPct, 2), fixed(r.bytesPerMember, 0),
    `${fixed(r.wakesPerS, 0)}+${fixed(r.drainsPerS, 0)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The idle runs: the engine's fixed cost, thread by thread. */
function idleTable(results: RoomResult[]): string[] {
  return results.map((r) => {
    const threads = (t: Record<string, number | { cpuPct: number }>): string =>
      Object.entries(t)
        .map(([name, v]) => [name, typeof v === 'number' ? v : v.cpuPct] as const)
        .filter(([, pct]) => pct >= 0.005)
        .sort((a, b) => b[1] - a[1])
        .map(([name, pct]) => `${name} ${pct.toFixed(2)}`)
        .join(', ');
    return (
      `  idle engine (${r.shards} shard(s), no conference): ${r.idleCpuPct.toFixed(3)}% of a core [${threads(r.idleThreads)}]; RSS ${r.rssIdleMb.toFixed(1)} MB (${r.rssBaselineMb.toFixed(1)} before the shards)` +
      (r.rooms > 0 ? `; with ${r.rooms} empty conference(s): ${r.engineCpuPct.toFixed(3)}% [${threads(r.threads)}]` : '')
    );
  });
}

/** One line per room: where its CPU went. */
function breakdown(r: RoomResult): string {
  const rest = Math.max(0, r.tickCpuPct - r.decodeCpuPctEstimate - r.encodeCpuPctEstimate);
  const costs = r.codecCosts;
  return (
    `  ${r.codec} ${r.members}: engine ${r.engineCpuPct.toFixed(1)}% of a core = media thread ${r.mediaThreadCpuPct.toFixed(1)}% ` +
    // Opus rooms run libopus at the room's rate, at a shed complexity and partly on the worker
    // pool: one-call costs measured at 48 kHz would not split the tick honestly.
    (r.codec === 'opus'
      ? `[ticks ${r.tickCpuPct.toFixed(1)}%; socket I/O ${r.socketIoCpuPct.toFixed(1)}%] `
      : `[ticks ${r.tickCpuPct.toFixed(1)}%: decode+resample ~${r.decodeCpuPctEstimate.toFixed(1)}%, encode+resample ~${r.encodeCpuPctEstimate.toFixed(1)}%, ` +
        `mix and the rest ~${rest.toFixed(1)}%; socket I/O ${r.socketIoCpuPct.toFixed(1)}%] `) +
    `+ other threads ${r.otherThreadsCpuPct.toFixed(1)}% ` +
    `(worker pool ${r.workerCpuPct.toFixed(1)}%: codec calls and sends taken from the media thread); ` +
    (r.codec === 'opus' ? `Opus complexity shed ${r.complexityShed.min === r.complexityShed.max ? r.complexityShed.max : `${r.complexityShed.min}-${r.complexityShed.max}`} step(s) below the configured 5; ` : '') +
    `generator ${r.generatorCpuPct.toFixed(1)}% (native thread ${r.generatorNativeCpuPct.toFixed(1)}%; ` +
    `least-served talker ${fixed(r.rxPpsTalkerMin, 1)}/s, other ${fixed(r.rxPpsListenerMin, 1)}/s; ${r.generatorStrangers} strangers). ` +
    (r.membersPerMediaThreadProjected === null
      ? `The clock fell behind (${(r.ticksInWindow / r.windowS).toFixed(1)} ticks/s; its thread ran ${r.mediaThreadCpuPct.toFixed(0)}% and waited for a core ${r.mediaThreadWaitPct.toFixed(0)}%). `
      : `Media thread ${r.mediaThreadMsPerTick.toFixed(2)} ms CPU per tick: one media thread would carry ~${r.membersPerMediaThreadProjected} such members. `) +
    `Per frame${r.codec === 'opus' ? ' (one call at 48 kHz, complexity 5)' : ''}: decode ${costs.decodeUs.toFixed(2)} us, encode ${costs.encodeUs.toFixed(2)} us, resample ${costs.resampleInUs.toFixed(2)}/${costs.resampleOutUs.toFixed(2)} us. ` +
    `RSS ${r.rssMb.toFixed(0)} MB (${r.rssBaselineMb.toFixed(0)} before the pool); ${r.talkingStarts}/${r.talkers} talkers talking; ` +
    `${r.rejectedInWindow} packets rejected; ` +
    `machine CPU pressure ${r.cpuPressurePct === null ? 'n/a' : `${r.cpuPressurePct.toFixed(1)}%`}, load average ${r.loadAverage.toFixed(2)}; setup ${r.setupS.toFixed(1)} s.`
  );
}

function verdicts(results: RoomResult[]): string[] {
  results = results.filter((r) => r.members > 0);
  const meets = (r: RoomResult): boolean => r.rxPpsPerParticipantMin >= PPS_OK && r.tickLatenessP99Ms <= LATENESS_P99_TARGET_MS;
  const lines: string[] = [];
  for (const [codec, members, what] of [
    ['pcmu', 3000, 'one room of 3000 PCMU members'],
    ['opus', 1000, 'one room of 1000 Opus members (listeners in DTX)'],
  ] as const) {
    const r = results.find((x) => x.codec === codec && x.members === members);
    if (!r) continue;
    lines.push(
      `  target ${what}, each receiving ${EXPECTED_PPS} packets/s, tick lateness p99 <= ${LATENESS_P99_TARGET_MS} ms: ` +
        `${meets(r) ? 'MET' : 'MISSED'} (rx min ${r.rxPpsPerParticipantMin.toFixed(1)}/s, p99 ${r.tickLatenessP99Ms.toFixed(2)} ms)`,
    );
  }
  return lines;
}

const round = (n: number | null, digits: number): number | null => (n === null ? null : Number(n.toFixed(digits)));

/** `npm run bench -- load`: N RTP members on loopback into one room of one shard. */
export const loadBench: Bench = {
  description: 'loopback RTP load into one room on one shard: CPU per member, packets/s, tick lateness, RSS (PCMU 200-3000, Opus 100-1000)',
  async run(args: string[]): Promise<BenchReport> {
    const options = parseLoadArgs(args);
    const results: RoomResult[] = [];
    if (options.idle) {
      const room = options.rooms[0];
      console.error(`load: the idle engine${room.rooms > 0 ? ` with ${room.rooms} empty conference(s)` : ''}, ${options.durationS} s window ...`);
      const r = await runRoomProcess({ ...room, durationS: options.durationS, warmupS: options.warmupS, rate: roomRate(room.codec, options.rate), portMin: ENGINE_PORT_MIN, portMax: ENGINE_PORT_MAX, idle: true });
      console.log('load --idle: the engine with its shards started (one per core) and no member; per-thread CPU from /proc');
      for (const line of idleTable([r])) console.log(line);
      const compiled = measurePackageIdle();
      console.log(
        compiled === null
          ? '  the compiled package: not measured (dist/ is not built: npm run build)'
          : `  the compiled package (dist/, plain node, ${compiled.shards} shard(s)): RSS ${compiled.startedMb.toFixed(1)} MB (node alone ${compiled.nodeMb.toFixed(1)}, with confmix loaded ${compiled.loadedMb.toFixed(1)})`,
      );
      return {
        bench: 'load',
        results: [{ mode: 'idle', rooms: r.rooms, shards: r.shards, idleCpuPct: round(r.idleCpuPct, 3), withRoomsCpuPct: round(r.engineCpuPct, 3), rssIdleMb: round(r.rssIdleMb, 1), packageIdleRssMb: compiled === null ? null : round(compiled.startedMb, 1), idleThreads: r.idleThreads }],
      };
    }
    for (const room of options.rooms) {
      console.error(`load: ${describeRoom(room)}, ${options.warmupS} s warm-up, ${options.durationS} s window ...`);
      results.push(
        await runRoomProcess({
          ...room,
          durationS: options.durationS,
          warmupS: options.warmupS,
          rate: roomRate(room.codec, options.rate),
          portMin: ENGINE_PORT_MIN,
          portMax: ENGINE_PORT_MAX,
          ...(options.sdp ? { sdp: true } : {}),
        }),
      );
    }
    console.log(
      (options.rooms[0]?.rooms > 0
        ? `load: R conferences placed over the engine's shards (one per core) as the engine places them, loopback 127.0.0.1, `
        : `load: one conference on a ShardPool of 1 shard (a room lives on one shard's media thread), loopback 127.0.0.1, `) +
        `${options.rate === undefined ? 'PCMU at 8000 Hz, Opus at 16000 Hz' : `${options.rate} Hz`} conference, 20 ms; a generator process sends every member's RTP; ${options.durationS} s window after ${options.warmupS} s warm-up; ` +
        (options.sdp ? 'members joined by SDP offer/answer through the engine API, as from a gateway' : 'members added by leg spec, latching to their first packet'),
    );
    console.log(table(results));
    for (const line of idleTable(results)) console.log(line);
    console.log('where the CPU goes (% of one core; decode and encode shares estimated from per-tick counts x measured per-frame cost):');
    for (const r of results) console.log(breakdown(r));
    for (const line of verdicts(results)) console.log(line);
    console.log(
      '  notes: tick lateness percentiles and overruns are counted over the window. ' +
        'rx pps min is exact: the least-served member over the window, the generator counting each datagram for the member whose leg sent it. ' +
        'The generator sends every member\'s RTP from one native thread on shared sockets (one per 100 members): talkers send tone loops; ' +
        'PCMU non-talkers send a fixed payload with a gate that never opens; Opus non-talkers send a 1-byte DTX packet every 40 ms.',
    );
    return {
      bench: 'load',
      results: results.map((r) => ({
        codec: r.codec,
        joinedBy: options.sdp ? 'sdp' : 'leg-spec',
        rooms: r.rooms,
        shards: r.shards,
        members: r.members,
        totalMembers: r.totalMembers,
        talkers: r.talkers,
        noisy: r.noisy,
        energyLevel: r.energyLevel,
        maxActiveTalkers: r.maxActiveTalkers,
        idleCpuPct: round(r.idleCpuPct, 3),
        bytesPerMember: round(r.bytesPerMember, 0),
        wakesPerS: round(r.wakesPerS, 1),
        drainsPerS: round(r.drainsPerS, 1),
        cpuPctPerParticipant: round(r.cpuPctPerParticipant, 4),
        rxPpsPerParticipantMin: round(r.rxPpsPerParticipantMin, 2),
        rxPpsPerParticipantMean: round(r.rxPpsPerParticipantMean, 2),
        tickLatenessP50Ms: round(r.tickLatenessP50Ms, 3),
        tickLatenessP99Ms: round(r.tickLatenessP99Ms, 3),
        tickLatenessMaxMs: round(r.tickLatenessMaxMs, 3),
        overrunsInWindow: r.overrunsInWindow,
        rssMb: round(r.rssMb, 1),
        engineCpuPct: round(r.engineCpuPct, 1),
        mediaThreadCpuPct: round(r.mediaThreadCpuPct, 1),
        tickCpuPct: round(r.tickCpuPct, 1),
        socketIoCpuPct: round(r.socketIoCpuPct, 1),
        decodesPerTick: round(r.decodesPerTick, 1),
        encodesPerTick: round(r.encodesPerTick, 1),
        generatorCpuPct: round(r.generatorCpuPct, 1),
        ticksPerSecond: round(r.ticksInWindow / r.windowS, 1),
        mediaThreadMsPerTick: round(r.mediaThreadMsPerTick, 3),
        membersPerMediaThreadProjected: r.membersPerMediaThreadProjected,
        mediaThreadWaitPct: round(r.mediaThreadWaitPct, 1),
        cpuPressurePct: round(r.cpuPressurePct, 1),
        rate: r.rate,
      })),
    };
  },
};

function describeRoom(room: LoadRoom): string {
  return `${room.rooms > 1 ? `${room.rooms} ${room.codec} rooms` : `${room.codec} room`} of ${room.members} members, ${room.talkers} talking${room.noisy ? ', listeners noisy' : ''}`;
}
