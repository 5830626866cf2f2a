// `npm run bench -- <name> [flags]`: runs one benchmark. Each prints a table, and this runner
// prints the benchmark's JSON report as the very last line of output.
//
// To add a benchmark, add an entry to `benches` that lazily imports its module.

/** What every benchmark returns: its name and one result object per configuration. */
export interface BenchReport {
  bench: string;
  results: Array<Record<string, unknown>>;
}

/** A benchmark: prints its own table (to stdout) and returns its report. */
export interface Bench {
  /** One line for the usage text. */
  description: string;
  /** Runs with the flags after the name. */
  run(args: string[]): Promise<BenchReport>;
}

const benches: Record<string, () => Promise<Bench>> = {
  mixer: async () => (await import('./mixer/index.ts')).mixerBench,
  media: async () => (await import('./media/index.ts')).mediaBench,
  load: async () => (await import('./load/index.ts')).loadBench,
  http: async () => (await import('./http/index.ts')).httpBench,
  soak: async () => (await import('./soak/index.ts')).soakBench,
  webrtc: async () => (await import('./webrtc/index.ts')).webrtcBench,
  report: async () => (await import('./report/index.ts')).reportBench,
  mediasoup: async () => (await import('./mediasoup/index.ts')).mediasoupBench,
};

async function usage(): Promise<string> {
  const lines = ['usage: npm run bench -- <name> [flags]', '', 'benchmarks:'];
  for (const [name, load] of Object.entries(benches)) lines.push(`  ${name.padEnd(8)} ${(await load()).description}`);
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    console.error(await usage());
    return name === undefined ? 2 : 0;
  }
  const load = benches[name];
  if (!load) {
    console.error(`unknown benchmark '${name}'\n\n${await usage()}`);
    return 2;
  }
  const report = await (await load()).run(args);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
