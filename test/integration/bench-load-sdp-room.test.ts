// One small load room whose members join by SDP offer/answer (`--sdp`), end to end: an engine
// over a one-shard pool and a generator process on loopback, 24 members, a few seconds.
// Asserts counts, not rates.
import { describe, expect, it } from 'vitest';
import { runRoom } from '../../bench/load/room.ts';

const base = { members: 24, talkers: 3, durationS: 1, warmupS: 1, rate: 16000, portMin: 41500, portMax: 41999, sdp: true };

describe('load benchmark room joined by SDP', () => {
  it('runs a PCMU room: every member is heard and hears, nothing is rejected', async () => {
    const result = await runRoom({ ...base, codec: 'pcmu' });
    expect(result).toMatchObject({ codec: 'pcmu', members: 24, talkers: 3, talkingStarts: 3, rejectedInWindow: 0, generatorSendFailed: 0 });
    expect(result.decodesPerTick).toBeGreaterThan(20);
    expect(result.decodesPerTick).toBeLessThanOrEqual(24);
    expect(result.encodesPerTick).toBeGreaterThanOrEqual(2);
    expect(result.encodesPerTick).toBeLessThanOrEqual(4);
    expect(result.rxPpsTalkerMin).toBeGreaterThan(0);
    expect(result.rxPpsListenerMin).toBeGreaterThan(0);
    // Counted per member: every single member heard its leg in the window.
    expect(result.rxPpsPerParticipantMin).toBeGreaterThan(0);
    expect(result.ticksInWindow).toBeGreaterThan(0);
  });

  it('runs an Opus room: only talkers are decoded, DTX listeners are not', async () => {
    const result = await runRoom({ ...base, codec: 'opus' });
    expect(result).toMatchObject({ codec: 'opus', talkingStarts: 3, rejectedInWindow: 0, generatorSendFailed: 0 });
    expect(result.decodesPerTick).toBeGreaterThan(0);
    expect(result.decodesPerTick).toBeLessThanOrEqual(3);
    expect(result.rxPpsListenerMin).toBeGreaterThan(0);
    // Counted per member: every single member heard its leg in the window.
    expect(result.rxPpsPerParticipantMin).toBeGreaterThan(0);
  });
});
