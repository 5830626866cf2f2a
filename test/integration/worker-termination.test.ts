// The product addon's objects are wrapped with plain N-API (native/addon/raw_class.h), so a
// worker terminated in the middle of a native call ends alone: the process lives on.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../../src/native/addon.ts';

const fixture = fileURLToPath(new URL('../fixtures/terminate-mid-call.mjs', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fixture, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('worker termination', () => {
  it('terminating workers in the middle of shard and resampler calls never kills the process', async () => {
    const result = await run([addonPath, '24']);
    expect(result.stderr).not.toMatch(/FATAL|Abort|terminate called/i);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('survived 24');
  });
});
