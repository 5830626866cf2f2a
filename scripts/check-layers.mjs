// `npm test` runs this first: the TypeScript layers (dependency-cruiser, rules in
// .dependency-cruiser.cjs) and the native core's independence (no file under native/core includes
// a Node, N-API or libuv header, so the core builds, fuzzes and benchmarks alone).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const NODE_HEADERS = /^\s*#\s*include\s*[<"](napi\.h|node_api\.h|js_native_api\.h|node\.h|uv\.h|node_[a-z_]+\.h|v8\.h)[>"]/m;

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(h|hpp|cc|cpp)$/.test(entry.name) ? [path] : [];
  });
}

const offenders = sources(join(root, 'native', 'core')).filter((path) => NODE_HEADERS.test(readFileSync(path, 'utf8')));
for (const path of offenders) console.error(`native core includes a Node header: ${relative(root, path)}`);

const cruiser = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const cruise = spawnSync(process.execPath, [cruiser, 'src', '--config', '.dependency-cruiser.cjs'], { cwd: root, stdio: 'inherit' });
process.exit(offenders.length > 0 || cruise.status !== 0 ? 1 : 0);
