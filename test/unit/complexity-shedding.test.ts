// Encoders follow the shed level: every Opus encoder a conference owns (each member's private one
// and the shared ones of its encoding) runs at its configured complexity minus the shed level,
// as libopus itself reports it; encoders made while shed start there. And the shard's stats
// carry each conference's level.
import { afterEach, describe, expect, it } from 'vitest';
import { NativeMediaConference, type MediaMemberStats } from '../../src/native/testing/mediaConference.ts';
import { createShardMedia, type ShardMedia } from '../../src/native/shardMedia.ts';
import { ConfmixError } from '../../src/errors.ts';

/** Output groups per encoding (one shared encoder each). */
const OUTPUT_GROUPS = 10;

function opus(complexity: number) {
  return { send: { codec: 'opus' as const, payloadType: 111, complexity } };
}

/** The private and shared complexities of a member's encoders. */
function complexities(conference: NativeMediaConference, id: number): { own: number | null; shared: Array<number | null> } {
  const send = conference.memberStats(id).send as NonNullable<MediaMemberStats['send']>;
  return { own: send.complexity, shared: send.sharedComplexities };
}

function expectAt(conference: NativeMediaConference, id: number, complexity: number | null): void {
  expect(complexities(conference, id)).toEqual({ own: complexity, shared: Array<number | null>(OUTPUT_GROUPS).fill(complexity) });
}

/** Ticks at `threadLoad` until the shed level is `level` (bounded). */
function tickUntil(conference: NativeMediaConference, threadLoad: number, level: number): void {
  for (let t = 0; t < 2000; t++) if (conference.tick({ threadLoad }).complexityShed === level) return;
  throw new Error(`shed level never reached ${level}`);
}

describe('complexity shedding on the encoders', () => {
  it('moves private and shared Opus encoders together, leaves G.711 alone, and restores them', () => {
    const conference = new NativeMediaConference({ rate: 16000, interval: 20 });
    conference.addMember(1, {}, opus(5));
    conference.addMember(2, {}, opus(8));
    conference.addMember(3, {}, { send: { codec: 'pcmu' } });
    expectAt(conference, 1, 5);
    expectAt(conference, 2, 8);
    expectAt(conference, 3, null);

    tickUntil(conference, 0.9, 3);
    expectAt(conference, 1, 2);
    expectAt(conference, 2, 5);
    expectAt(conference, 3, null);

    tickUntil(conference, 0.9, 7);
    expectAt(conference, 1, 0); // clamped at 0
    expectAt(conference, 2, 1);

    tickUntil(conference, 0.2, 0);
    expectAt(conference, 1, 5);
    expectAt(conference, 2, 8);
  });

  it('starts encoders made while shed at the shed complexity', () => {
    const conference = new NativeMediaConference({ rate: 16000, interval: 20 });
    conference.addMember(1, {}, opus(6));
    tickUntil(conference, 0.9, 2);
    conference.addMember(2, {}, opus(6)); // joins member 1's encoding: new private encoder only
    conference.addMember(3, {}, opus(9)); // a new encoding: new shared encoders too
    expectAt(conference, 2, 4);
    expectAt(conference, 3, 7);
    // They keep following the level afterwards.
    tickUntil(conference, 0.9, 3);
    expectAt(conference, 2, 3);
    expectAt(conference, 3, 6);
  });

  it('keeps configured complexity under full load with adaptiveComplexity off', () => {
    const conference = new NativeMediaConference({ rate: 16000, interval: 20, adaptiveComplexity: false });
    conference.addMember(1, {}, opus(5));
    for (let t = 0; t < 300; t++) expect(conference.tick({ threadLoad: 1 }).complexityShed).toBe(0);
    expectAt(conference, 1, 5);
  });
});

describe('complexity shed level in shard stats', () => {
  let media: ShardMedia | undefined;
  afterEach(() => {
    media?.stop();
    media = undefined;
  });

  it('reports each conference level and refuses a bad adaptiveComplexity', async () => {
    let ticked: () => void = () => {};
    const firstFrame = new Promise<void>((resolve) => (ticked = resolve));
    const shard = createShardMedia({
      onNotify: () => {
        if (shard.drain().frames.length > 0) ticked();
      },
    });
    media = shard;
    shard.start();
    let code: string | undefined;
    try {
      shard.createConference(1, { rate: 16000, interval: 20, adaptiveComplexity: 1 as unknown as boolean });
    } catch (error) {
      code = (error as ConfmixError).code;
    }
    expect(code).toBe('ERR_INVALID_ARGUMENT');
    expect(shard.stats().conferences).toBe(0);

    // Off: the level is 0 whatever the machine's load, so the figure is exact.
    shard.createConference(2, { rate: 16000, interval: 20, adaptiveComplexity: false });
    shard.addMember(2, 1, {}, { kind: 'app' });
    await firstFrame;
    const [entry] = shard.stats().perConference;
    expect(entry.handle).toBe(2);
    expect(entry.ticks).toBeGreaterThan(0);
    expect(entry.complexityShed).toBe(0);
  });
});
