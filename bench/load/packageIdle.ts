// The idle engine's memory as an app that installs the package runs it: the compiled dist/ in a
// plain node process, no TypeScript loader. Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const entry = join(root, 'dist', 'index.js');

/** RSS of one plain node process: alone, with the package loaded, and with its engine started. */
export interface PackageIdleRss {
  nodeMb: number;
  loadedMb: number;
  startedMb: number;
  shards: number;
}

// Runs in the child: RSS read from /proc after each step, the engine left to settle a few seconds.
const PROBE = `
import { readFileSync } from 'node:fs';
const rss = () => Number(/VmRSS:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const nodeMb = rss();
const { createEngine } = await import(process.argv[2]);
const loadedMb = rss();
const engine = await createEngine({});
await new Promise((done) => setTimeout(done, 3000));
const startedMb = rss();
const shards = (await engine.shardStats()).length;
await engine.close();
console.log(JSON.stringify({ nodeMb, loadedMb, startedMb, shards }));
`;

/** Measures the compiled package's idle engine, or returns null when dist/ is not built. */
export function measurePackageIdle(): PackageIdleRss | null {
  if (!existsSync(entry)) return null;
  // A file, not --eval: the shards' workers inherit the process's flags, and --input-type with them.
  const dir = mkdtempSync(join(tmpdir(), 'confmix-idle-'));
  const probe = join(dir, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const run = spawnSync(process.execPath, [probe, pathToFileURL(entry).href], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0) throw new Error(`the compiled package's idle probe failed: ${run.stderr.trim()}`);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '') as PackageIdleRss;
}
