// Builds a C++ benchmark target (not part of the default build) with CMake and returns its path.
// Build chatter goes to stderr, so stdout holds only the table and the JSON line.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the benchmark binaries are built; CONFMIX_BENCH_BUILD_DIR overrides it. */
export const benchBuildDir = process.env.CONFMIX_BENCH_BUILD_DIR ?? join(root, 'build-bench');

const quiet: SpawnSyncOptions = { cwd: root, stdio: ['ignore', process.stderr, process.stderr] };

function runOrThrow(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, quiet);
  if (result.status !== 0) throw new Error(`${what} failed (${command} ${args.join(' ')})`);
}

/** Configures the benchmark build and builds `target`; returns the binary's path. */
export function buildBenchTarget(target: string): string {
  runOrThrow('cmake', ['-S', root, '-B', benchBuildDir, '-DCMAKE_BUILD_TYPE=Release'], 'configuring the benchmark build');
  runOrThrow('cmake', ['--build', benchBuildDir, '--target', target, '-j', String(availableParallelism())], `building ${target}`);
  return join(benchBuildDir, target);
}
