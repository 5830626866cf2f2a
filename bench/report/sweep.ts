// `--sweep pcmu|opus`: raises one codec's room until a member falls under HOLD_PPS packets/s or
// tick lateness p99 passes HOLD_P99_MS, then halves the gap between the last size that held and
// the first that did not, twice. Reports the last size that held.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport } from '../run.ts';
import { MAX_MEMBERS } from '../load/options.ts';
import { HOLD_P99_MS, HOLD_PPS, runPlannedRoom, scaleRoom } from './suite.ts';
import type { MemberKind, ScaleRoom } from './types.ts';

/** Sizes tried in turn until one does not hold. */
const LADDER: Record<'pcmu' | 'opus', number[]> = {
  pcmu: [1500, 2500, 3500, MAX_MEMBERS],
  opus: [600, 1000, 1500, 2000, 2500, 3000, 3500, MAX_MEMBERS],
};
const BISECTIONS = 2;
const WARMUP_S = 2;
const WINDOW_S = 4;

/** Runs the sweep, writes OUT/sweep-<codec>.json, and returns the JSON line's report. */
export async function runSweep(codec: 'pcmu' | 'opus', out: string): Promise<BenchReport> {
  const kind: MemberKind = codec === 'pcmu' ? 'pcmu' : 'opus-dtx';
  const tried: ScaleRoom[] = [];
  const attempt = async (members: number): Promise<boolean> => {
    console.error(`sweep: ${kind} room of ${members} members ...`);
    try {
      const { result } = await runPlannedRoom({ kind, members, warmupS: WARMUP_S, durationS: WINDOW_S });
      const room = scaleRoom(kind, result);
      tried.push(room);
      console.error(`sweep: ${members} members: rx min ${room.rxPpsMin.toFixed(1)}/s, lateness p99 ${room.latenessP99Ms.toFixed(2)} ms: ${room.held ? 'held' : 'did not hold'}`);
      return room.held;
    } catch (error) {
      console.error(`sweep: ${members} members failed: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  };
  let held: number | null = null;
  let failed: number | null = null;
  for (const members of LADDER[codec]) {
    if (await attempt(members)) held = members;
    else {
      failed = members;
      break;
    }
  }
  for (let i = 0; i < BISECTIONS && failed !== null; i++) {
    const low = held ?? 0;
    const middle = Math.round((low + failed) / 2 / 50) * 50;
    if (middle <= low || middle >= failed) break;
    if (await attempt(middle)) held = middle;
    else failed = middle;
  }
  mkdirSync(out, { recursive: true });
  const summary = { kind, largestRoomHeld: held, firstRoomNotHeld: failed, portRangeLimit: failed === null ? MAX_MEMBERS : null, holdPps: HOLD_PPS, holdP99Ms: HOLD_P99_MS, rooms: tried };
  writeFileSync(join(out, `sweep-${codec}.json`), `${JSON.stringify(summary, null, 1)}\n`);
  console.log(
    `sweep ${kind}: largest room held ${held ?? 'none'}` +
      (failed === null ? ` (every size held up to ${MAX_MEMBERS}, the load room's port-range limit)` : `; ${failed} did not hold`) +
      ` (every member >= ${HOLD_PPS} packets/s and tick lateness p99 <= ${HOLD_P99_MS} ms)`,
  );
  for (const r of tried) console.log(`  ${r.members}: rx min ${r.rxPpsMin.toFixed(1)}/s, p99 ${r.latenessP99Ms.toFixed(3)} ms, ${r.cpuPctPerMember.toFixed(4)} %core/member, ${r.held ? 'held' : 'not held'}`);
  return { bench: 'report', results: [{ kind, largestRoomHeld: held, addedLatencyP50Ms: null, addedLatencyP99Ms: null }] };
}
