// One small load room end to end, its members added by leg spec or joined by SDP offer/answer
// (`--sdp`): an engine ShardPool and a generator process on loopback, bounded to 24 members and a
// few seconds. Asserts counts, not rates.
import { describe, expect, it } from 'vitest';
import { runRoom } from '../../bench/load/room.ts';

const rooms = [
  { joinedBy: 'leg spec', portMin: 41000, portMax: 41499 },
  { joinedBy: 'SDP', portMin: 41500, portMax: 41999, sdp: true },
];

describe.each(rooms)('load benchmark room, members joined by $joinedBy', ({ joinedBy: _, ...room }) => {
  const base = { members: 24, talkers: 3, durationS: 1, warmupS: 1, rate: 16000, rooms: 0, noisy: false, energyLevel: 100, ...room };

  it('runs a PCMU room: every talker talks, everyone decodes, talkers get their own encode, nothing is rejected', async () => {
    const result = await runRoom({ ...base, codec: 'pcmu' });
    // Legs latched to the shared sockets answer from their own ports: nothing from a stranger.
    expect(result).toMatchObject({ codec: 'pcmu', members: 24, talkers: 3, talkingStarts: 3, rejectedInWindow: 0, generatorSendFailed: 0, generatorStrangers: 0 });
    // Every member's packets are decoded (a tick may miss one late packet on a busy machine).
    expect(result.decodesPerTick).toBeGreaterThan(20);
    expect(result.decodesPerTick).toBeLessThanOrEqual(24);
    // Three talkers each hear a different N-1 mix; the 21 others share one encode.
    expect(result.encodesPerTick).toBeGreaterThanOrEqual(2);
    expect(result.encodesPerTick).toBeLessThanOrEqual(4);
    expect(result.rxPpsTalkerMin).toBeGreaterThan(0);
    expect(result.rxPpsListenerMin).toBeGreaterThan(0);
    // Counted per member: every single member heard its leg in the window.
    expect(result.rxPpsPerParticipantMin).toBeGreaterThan(0);
    expect(result.ticksInWindow).toBeGreaterThan(0);
    expect(result.engineCpuPct).toBeGreaterThan(0);
    expect(result.threads['confmix-media']?.cpuPct).toBeGreaterThan(0);
  });

  it('runs an Opus room: only talkers are decoded, DTX listeners are not', async () => {
    const result = await runRoom({ ...base, codec: 'opus' });
    expect(result).toMatchObject({ codec: 'opus', talkingStarts: 3, rejectedInWindow: 0, generatorSendFailed: 0, generatorStrangers: 0 });
    expect(result.decodesPerTick).toBeGreaterThan(0);
    expect(result.decodesPerTick).toBeLessThanOrEqual(3);
    expect(result.encodesPerTick).toBeGreaterThanOrEqual(2);
    expect(result.encodesPerTick).toBeLessThanOrEqual(4);
    expect(result.rxPpsListenerMin).toBeGreaterThan(0);
    // Counted per member: every single member heard its leg in the window.
    expect(result.rxPpsPerParticipantMin).toBeGreaterThan(0);
  });
});
