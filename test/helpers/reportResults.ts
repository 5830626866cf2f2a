// A small synthetic benchmark report (no benchmark run): two kinds of member over three room
// sizes, two latency rooms, a few Opus bitrates and resampler rows, with seeded values.
import type { ReportResults, ScaleRoom } from '../../bench/report/types.ts';

/** A complete results object shaped like a real run's. */
export function syntheticResults(): ReportResults {
  const rooms: ScaleRoom[] = (['pcmu', 'opus-dtx'] as const).flatMap((kind, k) =>
    [100, 500, 1000].map((members, i) => ({
      kind,
      members,
      talkers: members / 10,
      rate: kind === 'pcmu' ? 8000 : 16000,
      cpuPctPerMember: 0.05 + 0.05 * k - 0.01 * i,
      engineCpuPct: (0.05 + 0.05 * k - 0.01 * i) * members,
      rxPpsMin: i === 2 && k === 1 ? 47.5 : 50,
      rxPpsMean: 50,
      latenessP50Ms: 0.05 + 0.01 * i,
      latenessP99Ms: 0.1 + 0.2 * i + 0.3 * k,
      latenessMaxMs: 0.5 + i,
      latenessCdf: [[0.1, 0.02], [0.5, 0.05 + 0.01 * i], [0.9, 0.08 + 0.05 * i], [0.99, 0.1 + 0.2 * i + 0.3 * k], [1, 0.5 + i]],
      rssMb: 100 + members / 10,
      held: !(i === 2 && k === 1),
    })),
  );
  const latencies = (base: number): number[] => Array.from({ length: 40 }, (_, i) => base + (i % 7) * 0.8 + (i === 39 ? 6 : 0));
  return {
    schemaVersion: 1,
    generatedAt: '2026-01-02T03:04:05.000Z',
    mode: 'quick',
    commit: 'abc1234',
    durationS: 120,
    machine: { cpuModel: 'Test CPU', cores: 2, kernel: 'Linux 6.1', node: 'v20.19.0', loadAverageBefore: 0.5, loadAverageAfter: 1.5, cpuPressurePct: 3.2 },
    holdPps: 49,
    holdP99Ms: 1,
    rooms,
    summary: [
      { kind: 'pcmu', largestRoomHeld: 1000, largestRoomTried: 1000, addedLatencyP50Ms: 12.5, addedLatencyP99Ms: 19.1 },
      { kind: 'opus-dtx', largestRoomHeld: 500, largestRoomTried: 1000, addedLatencyP50Ms: 14.2, addedLatencyP99Ms: 21 },
    ],
    latency: (['pcmu', 'opus'] as const).map((codec, k) => {
      const values = latencies(10 + 2 * k);
      return {
        codec,
        members: 1000,
        rate: 16000,
        samples: values.length,
        p50Ms: values[20],
        p99Ms: Math.max(...values),
        maxMs: Math.max(...values),
        latenciesMs: values,
        jitterTargetMs: 20,
        codecDelayMs: codec === 'opus' ? 6.5 : 0,
        goalMs: 42,
        jitterTargetMaxMs: 24,
        goalExcessP99Ms: -4,
        goalMet: true,
        listenerLevelErrorDbMean: -0.1,
        listenerLevelErrorDbWorst: -0.3,
        ownStreamRejectionDb: 62,
        ownStreamResidualDb: 58,
        roundTripSnrDb: 34 + 10 * k,
        rxPpsMin: 50,
        latenessP99Ms: 0.2,
      };
    }),
    bitrates: [16000, 32000, 64000].map((bitrate, i) => ({
      rate: 16000,
      channels: 1,
      bitrate,
      isDefault: bitrate === 32000,
      toneLevelErrorDb: -0.4 + 0.15 * i,
      speechLsdDb: 9 - i,
      speechSegmentalSnrDb: 8 + i,
      measuredBitrate: bitrate * 0.95,
    })),
    resampler: (['linear', 'minimum'] as const).map((phase) => ({
      inRate: 8000,
      outRate: 16000,
      phase,
      delayMs: phase === 'linear' ? 4.97 : 0.22,
      maxPassbandDelayMs: phase === 'linear' ? 4.97 : 1.73,
      passbandMinDb: -0.043,
      passbandMaxDb: 0.001,
      rejectionDb: 64,
    })),
    noise: { cpuPctPerMember: 0.05, rxPpsMin: 0.01, latenessP99Ms: 0.2, rssMb: 0.02, addedLatencyP50Ms: 0.03, addedLatencyP99Ms: 0.1 },
  };
}
