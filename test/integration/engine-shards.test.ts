// The engine over its shards: placement of new conferences, and a close that leaves nothing
// running behind it.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { createEngine } from '../../src/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('engine shards', () => {
  it('places each new conference on the least-loaded shard, by members', async () => {
    const engine = await createEngine({ shards: 2, portMin: 25000, portMax: 25199 });
    try {
      const c1 = await engine.createConference({ from: 'placement' });
      await c1.addMember({});
      await c1.addMember({});
      const c2 = await engine.createConference({ from: 'placement' });
      await c2.addMember({});
      const c3 = await engine.createConference({ from: 'placement' });
      await c3.addMember({});
      await c3.addMember({});
      const c4 = await engine.createConference({ from: 'placement' });
      // Shard 0 had 2 members when c2 came, shard 1 then 1 (fewer) for c3, then 3 (more) for c4.
      expect([c1.shardId, c2.shardId, c3.shardId, c4.shardId]).toEqual([c1.shardId, 1 - c1.shardId, 1 - c1.shardId, c1.shardId]);
    } finally {
      await engine.close();
    }
  });

  it('reports each shard\'s media-thread figures: members placed, ticks that advance', async () => {
    const engine = await createEngine({ shards: 2, portMin: 25300, portMax: 25399 });
    try {
      const conference = await engine.createConference({ from: 'stats' });
      await conference.addMember({});
      await conference.addMember({});
      const first = await engine.shardStats();
      expect(first.map((s) => s.shard)).toEqual([0, 1]);
      expect(first.map((s) => s.members)).toEqual(conference.shardId === 0 ? [2, 0] : [0, 2]);
      expect(first.find((s) => s.shard === conference.shardId)?.conferences).toBe(1);
      // Ticks advance on the shard with a conference: wait until they have, without a sleep.
      const before = first.find((s) => s.shard === conference.shardId)!.ticks;
      let after = before;
      while (after <= before + 2) after = (await engine.shardStats()).find((s) => s.shard === conference.shardId)!.ticks;
      expect(after).toBeGreaterThan(before);
      await engine.resetTickLateness();
      await engine.close();
      await expect(engine.shardStats()).rejects.toThrow(/closed/);
      await expect(engine.resetTickLateness()).rejects.toThrow(/closed/);
    } finally {
      await engine.close();
    }
  });

  it("reports each conference's own lateness: its ticks' start, and its datagrams' flush no earlier", async () => {
    const engine = await createEngine({ shards: 1, portMin: 25400, portMax: 25499 });
    try {
      const first = await engine.createConference({ from: 'lateness' });
      const second = await engine.createConference({ from: 'lateness' });
      for (const conference of [first, second]) await conference.addMember({});
      // Both tick on one shard: wait for ticks, without a sleep.
      let clock = await first.clockStats();
      while (clock.ticks < 5) clock = await first.clockStats();
      for (const conference of [first, second]) {
        const { ticks, tickLateness, flushLateness } = await conference.clockStats();
        // One sample per tick run (read after the tick count), and every flush after its tick's start.
        expect(tickLateness.count).toBeGreaterThanOrEqual(ticks);
        expect(flushLateness.count).toBeGreaterThan(0);
        expect(flushLateness.maxMs).toBeGreaterThanOrEqual(tickLateness.maxMs);
        expect(flushLateness.p99Ms).toBeGreaterThanOrEqual(tickLateness.p99Ms);
        expect(tickLateness.p99Ms).toBeGreaterThanOrEqual(tickLateness.p50Ms);
      }
      // A reset starts every conference's figures afresh with the shard's.
      // The next tick that starts after the request applies it: two more ticks are surely after.
      while (clock.ticks < 25) clock = await first.clockStats();
      const beforeReset = (await first.clockStats()).ticks;
      await engine.resetTickLateness();
      const atReset = (await first.clockStats()).ticks;
      let after = await first.clockStats();
      while (after.ticks < atReset + 3) after = await first.clockStats();
      const later = await first.clockStats();
      expect(beforeReset).toBeGreaterThanOrEqual(25);
      expect(after.tickLateness.count).toBeGreaterThan(0);
      expect(after.tickLateness.count).toBeLessThanOrEqual(later.ticks - beforeReset + 1);
      expect(after.flushLateness.count).toBeLessThanOrEqual(later.ticks - beforeReset + 1);
    } finally {
      await engine.close();
    }
  });

  it('closes every shard, thread and socket: the process exits by itself', async () => {
    const script = `
      import { createEngine } from ${JSON.stringify(pathToFileURL(join(root, 'src', 'index.ts')).href)};
      const engine = await createEngine({ shards: 2, portMin: 25200, portMax: 25299 });
      const conference = await engine.createConference({ from: 'close' });
      const leg = await engine.createAppLeg({ rate: 16000 });
      await conference.addMember({ leg });
      await conference.addMember({ leg: { kind: 'rtp', remoteAddress: '127.0.0.1', remotePort: 9, codec: { name: 'pcmu', payloadType: 0, clockRate: 8000, channels: 1 } } });
      await engine.close();
      console.log('closed');
    `;
    const file = join(mkdtempSync(join(tmpdir(), 'confmix-close-')), 'close.mts');
    writeFileSync(file, script);
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = await once(child, 'exit');
    clearTimeout(killer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('closed');
  }, 40_000);
});
