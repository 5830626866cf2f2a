// Builds the libFuzzer targets of fuzz/targets (clang, ASan + UBSan) and runs them.
//
//   npm run fuzz -- [target ...] [--seconds N] [--runs N] [--regress] [--ci]
//
// Each target first replays its corpora as regression inputs: its own seeds (fuzz/corpus/<target>/)
// and, for the RTP and RTCP readers, the shared corpora in ../shared/fuzz-corpora/ beside the
// project (read where they are, never copied in), each twice in a row: a target that keeps state
// across inputs must give the same result both times (CONFMIX_FUZZ_TWICE). Then it fuzzes for --seconds (default 60) or
// --runs executions (both given: whichever comes first), writing what it learns to build/fuzz/work/<target>/. --regress only replays;
// --ci replays and fuzzes every target for 15 s. Any crash, leak, sanitizer report or failed
// invariant fails the run and leaves the input in build/fuzz/artifacts/. Prints a table and a
// JSON line: {"bench":"fuzz","results":[{target, executions, seconds, cpuSeconds, coverage, features, ...}]}.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build', 'fuzz');
const sharedCorpora = join(root, '..', 'shared', 'fuzz-corpora');

interface Target {
  /** Longest input the fuzzer makes: enough for the format, short enough to stay fast. */
  maxLen: number;
  /** Shared corpora (subfolders of ../shared/fuzz-corpora) that seed it. */
  shared: string[];
  /** ASAN_OPTIONS beyond the defaults. */
  asan?: string;
}

const TARGETS: Record<string, Target> = {
  rtp_parse: { maxLen: 2048, shared: ['rtp'] },
  rtcp_compound: { maxLen: 2048, shared: ['rtcp'] },
  telephone_event: { maxLen: 512, shared: [] },
  opus_toc: { maxLen: 1500, shared: [] },
  // Each input builds a jitter buffer (and receive_path a receiver: decoder, resampler, FIFO),
  // about 130 kB: a small quarantine (still dozens of inputs' worth) keeps ASan from faulting in
  // fresh pages for every one.
  jitter_buffer: { maxLen: 512, shared: [], asan: 'quarantine_size_mb=8' },
  receive_path: { maxLen: 1024, shared: ['rtp'], asan: 'quarantine_size_mb=8' },
};

interface Options {
  targets: string[];
  seconds: number;
  runs: number | undefined;
  /** --seconds was given (with --runs it bounds a campaign's time). */
  secondsGiven: boolean;
  regressOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { targets: [], seconds: 60, runs: undefined, secondsGiven: false, regressOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seconds') {
      options.seconds = Number(argv[++i]);
      options.secondsGiven = true;
    }
    else if (arg === '--runs') options.runs = Number(argv[++i]);
    else if (arg === '--regress') options.regressOnly = true;
    else if (arg === '--ci') options.seconds = 15;
    else if (arg in TARGETS) options.targets.push(arg);
    else throw new Error(`unknown argument '${arg}'; targets: ${Object.keys(TARGETS).join(', ')}`);
  }
  if (!(options.seconds > 0)) throw new Error('--seconds must be a positive number');
  if (options.runs !== undefined && !(options.runs > 0)) throw new Error('--runs must be a positive number');
  if (options.targets.length === 0) options.targets = Object.keys(TARGETS);
  return options;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

function build(): void {
  if (spawnSync('clang++', ['--version']).status !== 0) {
    throw new Error('the fuzz targets need clang++ and libFuzzer: bash scripts/system-packages.sh install fuzz');
  }
  const generator = spawnSync('ninja', ['--version']).status === 0 ? ['-G', 'Ninja'] : [];
  if (!existsSync(join(buildDir, 'CMakeCache.txt'))) {
    run('cmake', ['-S', join(root, 'fuzz'), '-B', buildDir, ...generator, '-DCMAKE_CXX_COMPILER=clang++', '-DCMAKE_BUILD_TYPE=']);
  }
  run('cmake', ['--build', buildDir, '--parallel', '2']);
}

/** Every file of the target's corpora, own first. */
function corpusFiles(name: string): string[] {
  const dirs = [join(root, 'fuzz', 'corpus', name), ...TARGETS[name].shared.map((sub) => join(sharedCorpora, sub))];
  const files: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (statSync(path).isFile() && !entry.endsWith('.md')) files.push(path);
    }
  }
  return files;
}

interface Outcome {
  code: number | null;
  output: string;
}

function runFuzzer(name: string, args: string[], twice = false): Promise<Outcome> {
  const target = TARGETS[name];
  const asan = ['detect_leaks=1', 'allocator_may_return_null=1', target.asan].filter(Boolean).join(':');
  return new Promise((done) => {
    const child = spawn(join(buildDir, `fuzz_${name}`), args, {
      cwd: root,
      env: {
        ...process.env,
        ASAN_OPTIONS: asan,
        UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
        ...(twice ? { CONFMIX_FUZZ_TWICE: '1' } : {}),
      },
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.length > 1_000_000) output = output.slice(-500_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('close', (code) => done({ code, output }));
  });
}

/** The report lines of a failed run: the sanitizer's or the invariant's, and the input it kept. */
function failureOf(output: string): string {
  const lines = output.split('\n');
  const first = lines.findIndex((line) => /ERROR: |runtime error|FUZZ_CHECK|SUMMARY/.test(line));
  const artifact = lines.find((line) => line.includes('Test unit written to'));
  return [...lines.slice(Math.max(0, first), first + 25), artifact ?? ''].join('\n');
}

interface Result {
  target: string;
  regressionInputs: number;
  executions: number;
  seconds: number;
  execPerSecond: number;
  /** CPU time the fuzzer used: on a shared machine its rate per CPU second is the harness's. */
  cpuSeconds: number;
  execPerCpuSecond: number;
  coverage: number;
  features: number;
  corpus: number;
  crashes: number;
}

/** CPU seconds used by this process's finished children (Linux: cutime + cstime, 100 Hz ticks). */
function childCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return 0;
  }
}

async function fuzzTarget(name: string, options: Options): Promise<Result> {
  const target = TARGETS[name];
  const artifacts = join(buildDir, 'artifacts');
  const work = join(buildDir, 'work', name);
  mkdirSync(artifacts, { recursive: true });
  mkdirSync(work, { recursive: true });
  const common = [`-max_len=${target.maxLen}`, `-artifact_prefix=${join(artifacts, `${name}-`)}`, '-print_final_stats=1'];

  // The corpora as regression inputs: each file, run twice to show it gives the same result.
  const seeds = corpusFiles(name);
  if (seeds.length > 0) {
    const replay = await runFuzzer(name, [...common, ...seeds], true);
    if (replay.code !== 0) throw new Error(`${name}: a corpus input fails\n${failureOf(replay.output)}`);
  }
  const result: Result = {
    target: name,
    regressionInputs: seeds.length,
    executions: 0,
    seconds: 0,
    execPerSecond: 0,
    cpuSeconds: 0,
    execPerCpuSecond: 0,
    coverage: 0,
    features: 0,
    corpus: 0,
    crashes: 0,
  };
  if (options.regressOnly) return result;

  const time = [`-max_total_time=${options.seconds}`];
  const limit = options.runs === undefined ? time : [`-runs=${options.runs}`, ...(options.secondsGiven ? time : [])];
  const seedDirs = [join(root, 'fuzz', 'corpus', name), ...target.shared.map((sub) => join(sharedCorpora, sub))].filter((dir) => existsSync(dir));
  const started = Date.now();
  const cpuBefore = childCpuSeconds();
  const fuzzed = await runFuzzer(name, [...common, ...limit, work, ...seedDirs]);
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  result.cpuSeconds = Math.round((childCpuSeconds() - cpuBefore) * 10) / 10;
  const stat = (key: string): number => Number(new RegExp(`stat::${key}:\\s+(\\d+)`).exec(fuzzed.output)?.[1] ?? 0);
  result.executions = stat('number_of_executed_units');
  result.execPerSecond = Math.round(result.executions / Math.max(result.seconds, 0.1));
  result.execPerCpuSecond = Math.round(result.executions / Math.max(result.cpuSeconds, 0.1));
  const progress = [...fuzzed.output.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)/g)].at(-1);
  if (progress) [result.coverage, result.features, result.corpus] = [Number(progress[1]), Number(progress[2]), Number(progress[3])];
  if (fuzzed.code !== 0) {
    result.crashes = 1;
    console.error(`${name}: FAILED\n${failureOf(fuzzed.output)}`);
  }
  return result;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(sharedCorpora)) console.log(`note: ${join('..', 'shared', 'fuzz-corpora')} is not beside the project; fuzzing from fuzz/corpus only`);
  build();
  const results: Result[] = [];
  for (const name of options.targets) {
    const result = await fuzzTarget(name, options);
    results.push(result);
    if (result.crashes > 0) break;
  }
  console.log('');
  console.log('target            corpus-in   executions   exec/s   seconds   cpu-s   exec/cpu-s   coverage   features   crashes');
  for (const r of results) {
    console.log(
      `${r.target.padEnd(16)}  ${String(r.regressionInputs).padStart(9)}  ${String(r.executions).padStart(11)}  ${String(r.execPerSecond).padStart(7)}  ${String(r.seconds).padStart(8)}  ${String(r.cpuSeconds).padStart(6)}  ${String(r.execPerCpuSecond).padStart(11)}  ${String(r.coverage).padStart(9)}  ${String(r.features).padStart(9)}  ${String(r.crashes).padStart(8)}`,
    );
  }
  console.log(JSON.stringify({ bench: 'fuzz', results }));
  if (results.some((r) => r.crashes > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
