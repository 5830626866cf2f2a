// The embedding example runs as written: it exits cleanly, and Bob heard Alice's WAV.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/embedding.ts', () => {
  it('runs: two app members, one playing a WAV the other hears at its level', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/embedding.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(/^bob heard (.*)$/m.exec(stdout)?.[1] ?? 'null') as { heardSeconds: number; loudestRmsDbfs: number };
    // A 2 s sine peaking at 8192 has an RMS of -15.1 dBFS.
    expect(summary.heardSeconds).toBeGreaterThanOrEqual(2);
    expect(Math.abs(summary.loudestRmsDbfs - -15.1)).toBeLessThan(0.3);
    const events = stdout.split('\n').filter((line) => line.startsWith('event ')).map((line) => JSON.parse(line.slice(6)) as { eventType: string; status?: string; state?: string });
    expect(events[0]).toMatchObject({ eventType: 'conference', status: 'created' });
    expect(events.filter((e) => e.eventType === 'conference-member' && e.state === 'active')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ eventType: 'conference', status: 'completed' });
    expect(stdout).toMatch(/^conference completed$/m);
  });

  it('is the example the README shows, word for word', () => {
    const doc = readFileSync(`${root}/README.md`, 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBe(readFileSync(`${root}/examples/embedding.ts`, 'utf8'));
  });
});
