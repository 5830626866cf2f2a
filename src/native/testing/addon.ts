// The one place that loads the testing addon: bindings that only tests and benchmarks use. It is
// built by `npm run build:testing` (run by `npm test` and the benchmarks), never by an install.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Path of the compiled testing addon; CONFMIX_TESTING_ADDON overrides it. */
export const testingAddonPath =
  process.env.CONFMIX_TESTING_ADDON ?? join(packageRoot, 'build', 'Release', 'confmix_testing.node');

/** The raw testing addon exports; use the typed views in this folder instead. */
export const addon: Record<string, unknown> = createRequire(import.meta.url)(testingAddonPath);
