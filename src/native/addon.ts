// The one place that loads the compiled addon. Typed views of it live beside this file.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of the compiled addon; CONFMIX_ADDON overrides it (for side-by-side builds). */
export const addonPath = process.env.CONFMIX_ADDON ?? join(packageRoot, 'build', 'Release', 'confmix.node');

/** The raw addon exports; use the typed views in this folder instead. */
export const addon: Record<string, unknown> = createRequire(import.meta.url)(addonPath);
