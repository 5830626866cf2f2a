// Bundles the browser softphone (web/softphone/main.ts) with esbuild into web/softphone/dist/.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../web/softphone/', import.meta.url));
await build({
  entryPoints: [`${root}main.ts`],
  outfile: `${root}dist/softphone.js`,
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  platform: 'browser',
  sourcemap: true,
  minify: true,
  logLevel: 'warning',
});
