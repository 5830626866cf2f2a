// The report's results: what results.json holds (its schema is results.schema.json beside this).
import type { BitrateQuality } from './bitrate.ts';
import type { LatencyFigures } from './latency.ts';
import type { ResamplerFigures } from './resampler.ts';

/** A kind of member the scale curve runs. */
export type MemberKind = 'pcmu' | 'opus-dtx' | 'opus-noisy' | 'sdp';

/** The machine the run measured. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  node: string;
  /** 1-minute load average before the first room and after the last. */
  loadAverageBefore: number;
  loadAverageAfter: number;
  /** Share of the run some task waited for a core (PSI), %; null without PSI. */
  cpuPressurePct: number | null;
}

/** One room of the scale curve. */
export interface ScaleRoom {
  kind: MemberKind;
  members: number;
  talkers: number;
  /** Conference rate, Hz. */
  rate: number;
  /** Engine process CPU per member, % of one core. */
  cpuPctPerMember: number;
  engineCpuPct: number;
  /** Packets/s the least-served member received, and the mean. */
  rxPpsMin: number;
  rxPpsMean: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  /** Tick lateness distribution: [fraction, ms]. */
  latenessCdf: Array<[number, number]>;
  rssMb: number;
  /** At least HOLD_PPS packets/s for every member and lateness p99 within HOLD_P99_MS. */
  held: boolean;
}

/** One latency room's figures as the report keeps them (see LatencyFigures in latency.ts). */
export interface LatencyRoom extends Omit<LatencyFigures, 'p50Noise' | 'p99Noise'> {
  /** Conference rate, Hz. */
  rate: number;
  /** p99 within the goal (null without a jitter target). */
  goalMet: boolean | null;
}

/** One kind's line of the summary table and of the JSON line. */
export interface KindSummary {
  kind: MemberKind;
  /** The largest room of the run that held (null: none did). */
  largestRoomHeld: number | null;
  /** The largest room tried. */
  largestRoomTried: number;
  /** Engine-added latency in the kind's 1,000-member latency room (null: none ran for the kind). */
  addedLatencyP50Ms: number | null;
  addedLatencyP99Ms: number | null;
}

/** One compared figure that got worse beyond its noise. */
export interface Regression {
  /** What it is, e.g. "pcmu 1000 cpuPctPerMember". */
  figure: string;
  saved: number;
  current: number;
  /** Change in the bad direction, as a fraction of the saved figure. */
  worseBy: number;
  /** The most the run-to-run noise allows, as a fraction. */
  allowed: number;
}

/** Everything one report run measured. */
export interface ReportResults {
  schemaVersion: 1;
  generatedAt: string;
  mode: 'quick' | 'full' | 'sweep';
  /** The commit measured, when known. */
  commit: string | null;
  durationS: number;
  machine: MachineInfo;
  /** Criteria of "held". */
  holdPps: number;
  holdP99Ms: number;
  rooms: ScaleRoom[];
  summary: KindSummary[];
  latency: LatencyRoom[];
  bitrates: BitrateQuality[];
  resampler: ResamplerFigures[];
  /** Run-to-run noise per figure kind, as a fraction (from repeated rooms and split samples). */
  noise: Record<string, number>;
  /** With --compare: the saved run and what got worse. */
  compare?: { against: string; figures: number; regressions: Regression[] };
}
