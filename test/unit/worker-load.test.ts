// The addon is context-aware: it loads and mixes in two worker threads at once.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { MixerWorkerInput, MixerWorkerResult } from './mixer-worker.ts';

// `--import tsx` in a worker's execArgv does not reach the worker's entry module on Node 20, so a
// tiny bootstrap registers tsx in the worker first and then imports the TypeScript entry.
const entry = new URL('./mixer-worker.ts', import.meta.url).href;
const bootstrap = `await (await import('tsx/esm/api')).register(); await import(${JSON.stringify(entry)});`;

function startWorker(input: MixerWorkerInput): Promise<MixerWorkerResult> {
  const worker = new Worker(bootstrap, { eval: true, workerData: input });
  const error = once(worker, 'error').then(([e]) => Promise.reject(e as Error));
  const message = once(worker, 'message').then(([m]) => m as MixerWorkerResult);
  return Promise.race([message, error]).finally(() => void worker.terminate());
}

describe('addon in worker threads', () => {
  it('loads and mixes an N-1 conference in two workers at once', async () => {
    const inputs: MixerWorkerInput[] = [
      { freqs: [440, 1000, 1800], amplitude: 8000, ticks: 50 },
      { freqs: [500, 1200, 2100], amplitude: 6000, ticks: 100 },
    ];
    const results = await Promise.all(inputs.map(startWorker));
    expect(results[0].threadId).not.toBe(results[1].threadId);
    for (const result of results) {
      expect(result.ownDb).toHaveLength(3);
      for (const own of result.ownDb) expect(own).toBeLessThan(-90);
      for (const others of result.othersDb) {
        expect(others).toHaveLength(2);
        for (const db of others) expect(Math.abs(db)).toBeLessThan(0.01);
      }
    }
  });
});
