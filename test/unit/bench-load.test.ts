// The load benchmark's pieces: its options, the tone payloads its talkers send, the RTP framing,
// the /proc readers and the packets-per-second arithmetic.
import { describe, expect, it } from 'vitest';
import { CodecDecoder, g711Decode } from '../../src/native/testing/codecs.ts';
import { parseLoadArgs, talkerCount } from '../../bench/load/options.ts';
import { encodeToneLoops, TONE_LOOP_FRAMES, TONES_HZ, writeRtpHeader } from '../../bench/load/payloads.ts';
import type { GeneratorSnapshot } from '../../bench/load/protocol.ts';
import { rxFigures } from '../../bench/load/room.ts';
import { parseSchedstat, threadTimes, threadTimesDelta } from '../../bench/load/threadCpu.ts';
import { concat, toneDbfs } from '../helpers/audio.ts';
import { codeOf } from '../helpers/errors.ts';

function snapshot(fields: Partial<GeneratorSnapshot>): GeneratorSnapshot {
  return {
    atMs: 0, cpuMs: 0, nativeCpuMs: 0, received: [], ticks: 0, sent: 0, sendFailed: 0, strangers: 0, latenessMaxMs: 0, rssMb: 0,
    ...fields,
  };
}

describe('load benchmark options', () => {
  it('runs the whole matrix with 10% talkers when given no flags', () => {
    const options = parseLoadArgs([]);
    const single = { rooms: 0, noisy: false, energyLevel: 100 };
    expect(options.rooms).toEqual([
      { codec: 'pcmu', members: 200, talkers: 20, ...single },
      { codec: 'pcmu', members: 1000, talkers: 100, ...single },
      { codec: 'pcmu', members: 3000, talkers: 300, ...single },
      { codec: 'opus', members: 100, talkers: 10, ...single },
      { codec: 'opus', members: 500, talkers: 50, ...single },
      { codec: 'opus', members: 1000, talkers: 100, ...single },
    ]);
    expect(options.idle).toBe(false);
    expect(options).toMatchObject({ durationS: 10, warmupS: 3 });
    expect(options.rate).toBeUndefined();
  });

  it('runs exactly one room for --codec and --members, and the matching matrix rooms for one of them', () => {
    const single = { rooms: 0, noisy: false, energyLevel: 100 };
    expect(parseLoadArgs(['--codec', 'pcmu', '--members', '1000', '--talkers', '0.1', '--duration', '10']).rooms).toEqual([
      { codec: 'pcmu', members: 1000, talkers: 100, ...single },
    ]);
    expect(parseLoadArgs(['--codec', 'opus', '--members', '37', '--talkers', '0.5']).rooms).toEqual([{ codec: 'opus', members: 37, talkers: 19, ...single }]);
    expect(parseLoadArgs(['--codec', 'opus']).rooms.map((r) => r.members)).toEqual([100, 500, 1000]);
    expect(parseLoadArgs(['--members', '1000']).rooms.map((r) => r.codec)).toEqual(['pcmu', 'opus']);
    expect(parseLoadArgs(['--rate', '8000', '--warmup', '2']).rate).toBe(8000);
  });

  it('runs R rooms of M, the idle engine, noisy listeners, a gate level and maxActiveTalkers', () => {
    expect(parseLoadArgs(['--codec', 'opus', '--members', '6', '--rooms', '200', '--noisy']).rooms).toEqual([
      { codec: 'opus', members: 6, talkers: 1, rooms: 200, noisy: true, energyLevel: 100 },
    ]);
    expect(parseLoadArgs(['--codec', 'opus', '--members', '150', '--energy-level', '0', '--max-active-talkers', '3']).rooms).toEqual([
      { codec: 'opus', members: 150, talkers: 15, rooms: 0, noisy: false, energyLevel: 0, maxActiveTalkers: 3 },
    ]);
    const idle = parseLoadArgs(['--idle', '--rooms', '50']);
    expect(idle.idle).toBe(true);
    expect(idle.rooms).toEqual([{ codec: 'pcmu', members: 0, talkers: 0, rooms: 50, noisy: false, energyLevel: 100 }]);
    for (const args of [
      ['--idle', '--members', '10'],
      ['--codec', 'pcmu', '--members', '10', '--noisy'],
      ['--codec', 'pcmu', '--members', '100', '--rooms', '50'],
      ['--rooms', '0'],
    ]) {
      expect(codeOf(() => parseLoadArgs(args)), args.join(' ')).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('rounds the talker fraction, keeping one talker for any fraction above zero', () => {
    expect(talkerCount(3000, 0.1)).toBe(300);
    expect(talkerCount(5, 0.01)).toBe(1);
    expect(talkerCount(5, 0)).toBe(0);
    expect(talkerCount(5, 1)).toBe(5);
  });

  it('refuses unknown flags and out-of-range values with ERR_INVALID_ARGUMENT', () => {
    for (const args of [
      ['--codec', 'g729'],
      ['--members', '0'],
      ['--members', '2.5'],
      ['--members', '99999'],
      ['--talkers', '1.5'],
      ['--duration', '0'],
      ['--rate', '11025'],
      ['--duration'],
      ['--duration', '--members'],
      ['--sdp', 'x'],
      ['--members', '37'],
    ]) {
      expect(codeOf(() => parseLoadArgs(args)), args.join(' ')).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('load benchmark payloads', () => {
  it('encodes each PCMU tone loop so it decodes to its own frequency', () => {
    const loops = encodeToneLoops('pcmu');
    expect(loops).toHaveLength(TONES_HZ.length);
    for (const [tone, loop] of loops.entries()) {
      expect(loop).toHaveLength(TONE_LOOP_FRAMES);
      expect(loop.every((payload) => payload.length === 160)).toBe(true);
      const codes = new Uint8Array(loop.length * 160);
      loop.forEach((payload, frame) => codes.set(payload, frame * 160));
      const pcm = g711Decode('pcmu', codes);
      const freq = TONES_HZ[tone];
      const other = TONES_HZ[(tone + 1) % TONES_HZ.length];
      expect(toneDbfs(pcm, freq, 8000)).toBeGreaterThan(-23);
      expect(toneDbfs(pcm, other, 8000)).toBeLessThan(toneDbfs(pcm, freq, 8000) - 30);
    }
  });

  it('encodes Opus tone loops as 20 ms packets that decode to the tone', () => {
    const loops = encodeToneLoops('opus');
    const decoder = new CodecDecoder({ codec: 'opus', clockRate: 48000, channels: 1 });
    const loop = loops[5]; // 1000 Hz
    const pcm = concat(loop.map((payload) => decoder.decode(payload)));
    expect(pcm.length).toBe(TONE_LOOP_FRAMES * 960);
    expect(loop.every((payload) => !decoder.isDtx(payload))).toBe(true);
    const steady = pcm.subarray(960 * 10);
    expect(toneDbfs(steady, 1000, 48000)).toBeGreaterThan(-26);
    expect(toneDbfs(steady, 425, 48000)).toBeLessThan(toneDbfs(steady, 1000, 48000) - 30);
  });

  it('writes an RTP header with version 2 and wrapped sequence and timestamp', () => {
    const packet = new Uint8Array(14).fill(0xee);
    writeRtpHeader(packet, 111, 65537, 2 ** 32 + 960, 0x20000005);
    expect([...packet]).toEqual([0x80, 111, 0, 1, 0, 0, 0x03, 0xc0, 0x20, 0, 0, 5, 0xee, 0xee]);
  });
});

describe('load benchmark measurements', () => {
  it('parses schedstat and sums this process\'s threads by name', () => {
    expect(parseSchedstat('2500000 1000000 7\n')).toEqual({ cpuMs: 2.5, waitMs: 1 });
    expect(parseSchedstat('garbage')).toBeNull();
    const before = threadTimes();
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i % 7;
    expect(x).toBeGreaterThan(0);
    const delta = threadTimesDelta(before, threadTimes());
    const total = Object.values(delta).reduce((sum, t) => sum + t.cpuMs, 0);
    expect(total).toBeGreaterThan(1);
  });

  it('computes packets per second exactly per member: least-served talker, other and overall', () => {
    const before = snapshot({ atMs: 1000, received: [100, 100, 100, 99, 100] });
    const after = snapshot({ atMs: 3000, received: [200, 190, 200, 195, 198] });
    const rx = rxFigures({ members: 5, talkers: 2 }, before, after);
    expect(rx.rxPpsTalkerMin).toBe(45); // 90 packets in 2 s
    expect(rx.rxPpsListenerMin).toBe(48); // 96 packets in 2 s
    expect(rx.rxPpsPerParticipantMin).toBe(45);
    expect(rx.rxPpsPerParticipantMean).toBeCloseTo((100 + 90 + 100 + 96 + 98) / 5 / 2, 10);
    const allTalkers = rxFigures({ members: 2, talkers: 2 }, before, after);
    expect(allTalkers.rxPpsListenerMin).toBeNull();
    expect(allTalkers.rxPpsPerParticipantMin).toBe(45);
    const noTalkers = rxFigures({ members: 5, talkers: 0 }, before, after);
    expect(noTalkers.rxPpsTalkerMin).toBeNull();
    expect(noTalkers.rxPpsPerParticipantMin).toBe(45);
  });
});
