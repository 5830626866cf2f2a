// confmix without the optional mediasoup package: it imports and runs, and only the bridge call
// fails, with an UnsupportedError naming the package (the child refuses to resolve mediasoup).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('../fixtures/without-mediasoup.mjs', import.meta.url));
const index = new URL('../../src/index.ts', import.meta.url).href;

it('runs without mediasoup, and bridgeMediasoup() fails with UnsupportedError naming it', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, index], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { memberJoined: boolean; members: number; thrown: Record<string, unknown> };
  expect(result.memberJoined).toBe(true);
  expect(result.members).toBe(1);
  expect(result.thrown).toMatchObject({ name: 'UnsupportedError', code: 'ERR_UNSUPPORTED', unsupported: true });
  expect(result.thrown.message).toContain("'mediasoup'");
});
