#!/usr/bin/env node
// The confmix command. Installed, it runs the compiled CLI (dist/); in a source checkout (src/ is
// there, dist/ may be stale or missing) it runs the sources through the dev dependency tsx.
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
} else {
  await import('../dist/cli.js');
}
