// Per-thread time of a process, from /proc (Linux): where the engine's CPU goes, and how long
// its threads were runnable but waiting for a core (other work on the machine, or too few cores).
import { readdirSync, readFileSync } from 'node:fs';

/** Time one thread (or all threads of one name) spent on a core and waiting in the run queue. */
export interface ThreadTime {
  /** On a core, ms. */
  cpuMs: number;
  /** Runnable but waiting for a core, ms. */
  waitMs: number;
}

/** Thread times by thread name, summed over threads of one name. */
export type ThreadTimes = Record<string, ThreadTime>;

/** Parses /proc/<pid>/task/<tid>/schedstat: "<on-cpu ns> <run-queue wait ns> <timeslices>". */
export function parseSchedstat(text: string): ThreadTime | null {
  const [run, wait] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(wait)) return null;
  return { cpuMs: run / 1e6, waitMs: wait / 1e6 };
}

/** The threads of a process now, grouped by name; empty where /proc is missing. */
export function threadTimes(pid: number | 'self' = 'self'): ThreadTimes {
  const out: ThreadTimes = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let name: string;
    let time: ThreadTime | null;
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      time = parseSchedstat(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8'));
    } catch {
      continue; // the thread ended between the listing and the read
    }
    if (!time) continue;
    const sum = (out[name] ??= { cpuMs: 0, waitMs: 0 });
    sum.cpuMs += time.cpuMs;
    sum.waitMs += time.waitMs;
  }
  return out;
}

/** What each thread name used between two readings (threads that ended are not counted). */
export function threadTimesDelta(before: ThreadTimes, after: ThreadTimes): ThreadTimes {
  const out: ThreadTimes = {};
  for (const [name, time] of Object.entries(after)) {
    const earlier = before[name] ?? { cpuMs: 0, waitMs: 0 };
    out[name] = { cpuMs: Math.max(0, time.cpuMs - earlier.cpuMs), waitMs: Math.max(0, time.waitMs - earlier.waitMs) };
  }
  return out;
}

/** Microseconds some task on the machine waited for a core (PSI `some` total), or null. */
export function cpuPressureUs(): number | null {
  try {
    const match = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}
