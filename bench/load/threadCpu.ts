// CPU time of each thread of this process, from /proc (Linux): where the engine's CPU goes.
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) by thread name, summed over threads of one name. */
export type ThreadCpu = Record<string, number>;

/** Parses one /proc/<pid>/task/<tid>/stat line into its thread name and CPU ms. */
export function parseStatLine(line: string): { name: string; cpuMs: number } | null {
  // The name sits in parentheses and may hold spaces or parentheses itself: split at the last ')'.
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = line.slice(close + 2).split(' ');
  // After the name: state is field 3 of stat(5); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { name: line.slice(open + 1, close), cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND };
}

/** This process's threads' CPU so far, grouped by name; empty where /proc is missing. */
export function threadCpu(pid: number | 'self' = 'self'): ThreadCpu {
  const out: ThreadCpu = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let line: string;
    try {
      line = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const parsed = parseStatLine(line);
    if (parsed) out[parsed.name] = (out[parsed.name] ?? 0) + parsed.cpuMs;
  }
  return out;
}

/** CPU ms each thread name used between two readings (threads that ended are not counted). */
export function threadCpuDelta(before: ThreadCpu, after: ThreadCpu): ThreadCpu {
  const out: ThreadCpu = {};
  for (const [name, ms] of Object.entries(after)) out[name] = Math.max(0, ms - (before[name] ?? 0));
  return out;
}
