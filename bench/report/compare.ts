// `--compare`: each figure of this run beside a saved run's, flagged when it got worse by more
// than the run-to-run noise measured in either run.
import type { Regression, ReportResults } from './types.ts';

/** A figure that can be compared: which way is worse, whose noise applies, the smallest change that counts. */
interface Figure {
  value: number;
  /** 1: higher is worse; -1: lower is worse. */
  worse: 1 | -1;
  /** The key of ReportResults.noise that measures this figure's spread. */
  noise: string;
  /** A change smaller than this (in the figure's unit) is never a regression (measurement resolution). */
  floor: number;
}

/** The least noise a figure is allowed, as a fraction: two runs never agree closer than this. */
export const MIN_NOISE = 0.03;
/** A figure is flagged when it got worse by more than this many times its noise. */
export const NOISE_MULTIPLE = 2;

/** Every comparable figure of a run, by name. */
export function figuresOf(results: ReportResults): Map<string, Figure> {
  const figures = new Map<string, Figure>();
  for (const r of results.rooms) {
    const at = `${r.kind} ${r.members}`;
    figures.set(`${at} cpuPctPerMember`, { value: r.cpuPctPerMember, worse: 1, noise: 'cpuPctPerMember', floor: 0.0005 });
    figures.set(`${at} rxPpsMin`, { value: r.rxPpsMin, worse: -1, noise: 'rxPpsMin', floor: 0.5 });
    figures.set(`${at} latenessP99Ms`, { value: r.latenessP99Ms, worse: 1, noise: 'latenessP99Ms', floor: 0.1 });
    figures.set(`${at} rssMb`, { value: r.rssMb, worse: 1, noise: 'rssMb', floor: 2 });
  }
  for (const s of results.summary) {
    if (s.largestRoomHeld !== null) figures.set(`${s.kind} largestRoomHeld`, { value: s.largestRoomHeld, worse: -1, noise: 'largestRoomHeld', floor: 1 });
  }
  for (const l of results.latency) {
    const at = `latency ${l.codec} ${l.members}`;
    figures.set(`${at} p50Ms`, { value: l.p50Ms, worse: 1, noise: 'addedLatencyP50Ms', floor: 0.5 });
    figures.set(`${at} p99Ms`, { value: l.p99Ms, worse: 1, noise: 'addedLatencyP99Ms', floor: 1 });
    figures.set(`${at} roundTripSnrDb`, { value: l.roundTripSnrDb, worse: -1, noise: 'quality', floor: 0.5 });
    figures.set(`${at} |listenerLevelErrorDbWorst|`, { value: Math.abs(l.listenerLevelErrorDbWorst), worse: 1, noise: 'quality', floor: 0.2 });
    if (l.ownStreamRejectionDb !== null) figures.set(`${at} ownStreamRejectionDb`, { value: l.ownStreamRejectionDb, worse: -1, noise: 'quality', floor: 3 });
  }
  for (const b of results.bitrates) {
    const at = `opus ${b.rate / 1000} kHz ${b.channels}ch ${b.bitrate / 1000} kbit/s`;
    figures.set(`${at} speechSegmentalSnrDb`, { value: b.speechSegmentalSnrDb, worse: -1, noise: 'quality', floor: 0.3 });
    figures.set(`${at} |toneLevelErrorDb|`, { value: Math.abs(b.toneLevelErrorDb), worse: 1, noise: 'quality', floor: 0.1 });
  }
  for (const f of results.resampler) {
    const at = `resampler ${f.phase} ${f.inRate}->${f.outRate}`;
    figures.set(`${at} delayMs`, { value: f.delayMs, worse: 1, noise: 'quality', floor: 0.05 });
    figures.set(`${at} rejectionDb`, { value: f.rejectionDb, worse: -1, noise: 'quality', floor: 1 });
  }
  return figures;
}

/** Compares `current` with `saved`: the figures both have, and those that got worse beyond noise. */
export function compareResults(current: ReportResults, saved: ReportResults): { figures: number; regressions: Regression[] } {
  const now = figuresOf(current);
  const before = figuresOf(saved);
  const regressions: Regression[] = [];
  let figures = 0;
  for (const [name, figure] of now) {
    const old = before.get(name);
    if (!old || !Number.isFinite(old.value) || !Number.isFinite(figure.value)) continue;
    figures++;
    const change = (figure.value - old.value) * figure.worse;
    if (change <= figure.floor) continue;
    const worseBy = change / Math.max(Math.abs(old.value), 1e-9);
    const noise = Math.max(MIN_NOISE, current.noise[figure.noise] ?? 0, saved.noise[figure.noise] ?? 0);
    const allowed = NOISE_MULTIPLE * noise;
    if (worseBy > allowed) regressions.push({ figure: name, saved: old.value, current: figure.value, worseBy, allowed });
  }
  return { figures, regressions };
}
