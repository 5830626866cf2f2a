// Bundles the browser softphone (web/softphone/main.ts) with esbuild into web/softphone/dist/.
// With --optional (on install) a failure is a warning: the server then answers /softphone with a
// clear error instead of the install failing.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../web/softphone/', import.meta.url));
const optional = process.argv.includes('--optional');
try {
  const { build } = await import('esbuild');
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
} catch (error) {
  if (!optional) throw error;
  console.warn(`confmix: the softphone was not built (${error instanceof Error ? error.message : String(error)}); run npm run build:softphone`);
}
