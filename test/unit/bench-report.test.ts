// The benchmark report's pieces, on small synthetic results (no benchmark run): its JSON against
// the schema the repository keeps, --compare's verdicts, the summary per kind, and its options.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { compareResults } from '../../bench/report/compare.ts';
import { measureNoise, summarise } from '../../bench/report/index.ts';
import { parseReportArgs } from '../../bench/report/options.ts';
import { db, toneAmplitude, windowedToneAmplitude } from '../../bench/report/signal.ts';
import type { ReportResults } from '../../bench/report/types.ts';
import { syntheticResults } from '../helpers/reportResults.ts';

const schema = JSON.parse(readFileSync(new URL('../../bench/report/results.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);
/** As results.json holds it: NaN becomes null. */
const roundTrip = (results: ReportResults): unknown => JSON.parse(JSON.stringify(results));

describe('results.json', () => {
  it('validates against the schema the repository keeps', () => {
    const ok = validate(roundTrip(syntheticResults()));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('validates the saved run the repository keeps (a real full run)', () => {
    const saved = JSON.parse(readFileSync(new URL('../../bench/report/baseline/results.json', import.meta.url), 'utf8')) as ReportResults;
    expect(validate(saved)).toBe(true);
    expect(saved.mode).toBe('full');
    // And it compares with itself without a regression.
    expect(compareResults(saved, saved).regressions).toEqual([]);
  });

  it('is refused by the schema when a figure is missing or of the wrong kind', () => {
    const missing = roundTrip(syntheticResults()) as Record<string, unknown>;
    delete missing.summary;
    expect(validate(missing)).toBe(false);
    const wrong = roundTrip(syntheticResults()) as { rooms: Array<Record<string, unknown>> };
    wrong.rooms[0].kind = 'carrier-pigeon';
    expect(validate(wrong)).toBe(false);
    expect(validate.errors?.some((e) => e.instancePath === '/rooms/0/kind')).toBe(true);
  });

  it('keeps a measured NaN (no onset matched) as null, which the schema accepts', () => {
    const results = syntheticResults();
    results.latency[0] = { ...results.latency[0], samples: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN, latenciesMs: [] };
    expect(validate(roundTrip(results))).toBe(true);
  });
});

describe('--compare', () => {
  it('passes an identical run', () => {
    const { figures, regressions } = compareResults(syntheticResults(), syntheticResults());
    expect(figures).toBeGreaterThan(30);
    expect(regressions).toEqual([]);
  });

  it('flags a planted regression, and only it', () => {
    const current = syntheticResults();
    const room = current.rooms.find((r) => r.kind === 'pcmu' && r.members === 500)!;
    room.cpuPctPerMember *= 1.5;
    current.latency[1].p50Ms += 5;
    const { regressions } = compareResults(current, syntheticResults());
    expect(regressions.map((r) => r.figure).sort()).toEqual(['latency opus 1000 p50Ms', 'pcmu 500 cpuPctPerMember']);
    const cpu = regressions.find((r) => r.figure === 'pcmu 500 cpuPctPerMember')!;
    expect(cpu.worseBy).toBeCloseTo(0.5, 6);
    expect(cpu.allowed).toBeCloseTo(0.1, 6); // twice the measured 5 % noise
  });

  it('lets a change within the measured noise pass, and an improvement', () => {
    const current = syntheticResults();
    current.rooms[1].cpuPctPerMember *= 1.08; // noise 5 %: up to 10 % is allowed
    current.rooms[2].cpuPctPerMember *= 0.5; // better
    current.rooms[3].rxPpsMin += 0.3; // better
    expect(compareResults(current, syntheticResults()).regressions).toEqual([]);
  });

  it('takes the larger noise of the two runs', () => {
    const saved = syntheticResults();
    saved.noise.cpuPctPerMember = 0.3;
    const current = syntheticResults();
    current.rooms[1].cpuPctPerMember *= 1.5;
    expect(compareResults(current, saved).regressions).toEqual([]);
    expect(compareResults(current, syntheticResults()).regressions).toHaveLength(1);
  });
});

describe('summary and noise', () => {
  it('gives each kind its largest room held and its 1,000-member latency', () => {
    const results = syntheticResults();
    expect(summarise(results.rooms, results.latency)).toEqual([
      { kind: 'pcmu', largestRoomHeld: 1000, largestRoomTried: 1000, addedLatencyP50Ms: results.latency[0].p50Ms, addedLatencyP99Ms: results.latency[0].p99Ms },
      { kind: 'opus-dtx', largestRoomHeld: 500, largestRoomTried: 1000, addedLatencyP50Ms: results.latency[1].p50Ms, addedLatencyP99Ms: results.latency[1].p99Ms },
    ]);
  });

  it('measures noise as the spread of a room run twice', () => {
    const [a] = syntheticResults().rooms;
    const noise = measureNoise([{ room: a }, { room: { ...a, cpuPctPerMember: a.cpuPctPerMember * 1.1, rssMb: a.rssMb } }], [{ p50Noise: 0.02, p99Noise: 0.2 }]);
    expect(noise.cpuPctPerMember).toBeCloseTo(0.1 / 1.05, 6);
    expect(noise.rssMb).toBe(0);
    expect(noise.addedLatencyP99Ms).toBe(0.2);
  });
});

describe('options', () => {
  it('parses the flags', () => {
    expect(parseReportArgs(['--quick', '--compare', 'saved.json', '--out', 'x'])).toEqual({ quick: true, compare: 'saved.json', out: 'x' });
    expect(parseReportArgs(['--sweep', 'opus'])).toMatchObject({ sweep: 'opus', quick: false, out: 'bench-report' });
  });

  it('refuses unknown flags and bad values with a coded error', () => {
    const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });
    expect(() => parseReportArgs(['--fast'])).toThrow(invalid);
    expect(() => parseReportArgs(['--sweep', 'g722'])).toThrow(invalid);
    expect(() => parseReportArgs(['--compare'])).toThrow(invalid);
  });
});

describe('own-stream tone reading', () => {
  const rate = 16000;
  // 140 ms: the span a talker's own stream was once read over, with a plain Goertzel.
  const span = (rate * 140) / 1000;
  const tone = (freq: number, amplitude: number): Float64Array => Float64Array.from({ length: span }, (_, i) => amplitude * Math.cos((2 * Math.PI * freq * i) / rate + 0.3));
  const mix = (...parts: Float64Array[]): Float64Array => parts.reduce((sum, p) => sum.map((v, i) => v + p[i]));

  it('reads a -60 dB tone within 0.5 dB beside a full-level tone 170 Hz away; the plain Goertzel does not', () => {
    const other = tone(730, 10362);
    const quiet = 10362 / 1000;
    const heard = mix(tone(900, quiet), other);
    expect(Math.abs(db(windowedToneAmplitude(heard, 900, rate) / quiet))).toBeLessThan(0.5);
    expect(Math.abs(db(toneAmplitude(heard, 900, rate) / quiet))).toBeGreaterThan(3);
  });
});
