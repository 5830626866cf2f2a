// Importing confmix loads no native code: the addon loads in a shard's worker once an engine starts.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('importing confmix', () => {
  it('loads no native module on the importing thread, and validates conference fields without one', () => {
    const script = `
      import { createRequire } from 'node:module';
      const confmix = await import(${JSON.stringify(pathToFileURL(join(root, 'src', 'index.ts')).href)});
      const config = confmix.normalizeConferenceCreate({ 'comfort-noise': true, rate: 48000, 'energy-level': 300 });
      const native = Object.keys(createRequire(import.meta.url).cache).filter((path) => path.endsWith('.node'));
      console.log(JSON.stringify({ native, rate: config.mixer.rate, noise: config.mixer.comfortNoiseDbfs }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    const result = JSON.parse(out) as { native: string[]; rate: number; noise: number };
    expect(result.native).toEqual([]);
    expect(result.rate).toBe(48000);
    expect(result.noise).toBeCloseTo(-67.97, 2);
  });
});
