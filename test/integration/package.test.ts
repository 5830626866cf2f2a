// confmix as a plain Node project gets it: `npm pack` (which builds dist/), the tarball installed
// into a fresh project (its install script compiles the addon from source there), the confmix
// command run without tsx, then createEngine imported from plain .mjs and from TypeScript
// compiled against the package's own declaration files. Each program mixes a tone from one app member to another and prints what the
// listener heard; the main thread has loaded no native code until the engine starts.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const typescript = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
// Packing compiles the TypeScript, installing compiles the addon: minutes on a small machine.
const INSTALL_TIMEOUT_MS = 30 * 60_000;

// A tone goes in through one app leg; the other hears it. Written once, run as .mjs and as .ts.
const program = (typed: boolean): string => `
import { createRequire } from 'node:module';
import { createEngine${typed ? ', type AppLeg, type Engine' : ''} } from 'confmix';

const nativeModules = ()${typed ? ': string[]' : ''} => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.endsWith('.node'));
const nativeBeforeStart = nativeModules().length;
const engine${typed ? ': Engine' : ''} = await createEngine({ shards: 1 });
const conference = await engine.createConference({ rate: 16000 });
const speaker${typed ? ': AppLeg' : ''} = await engine.createAppLeg({ rate: 16000 });
const listener${typed ? ': AppLeg' : ''} = await engine.createAppLeg({ rate: 16000 });
await conference.addMember({ leg: speaker });
await conference.addMember({ leg: listener });
let phase = 0;
const frame = () => {
  const pcm = new Int16Array(speaker.frameSamples);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((phase += (2 * Math.PI * 440) / 16000)));
  return pcm;
};
for (let i = 0; i < 3; i++) speaker.write(frame());
const heard${typed ? ': Int16Array[]' : ''} = [];
for await (const pcm of listener) {
  speaker.write(frame());
  heard.push(pcm);
  if (heard.length === 50) break;
}
// Goertzel power at 440 Hz over the last half second, as a peak amplitude.
const tail = heard.slice(25).flatMap((pcm) => [...pcm]);
const w = (2 * Math.PI * 440) / 16000, c = 2 * Math.cos(w);
let s1 = 0, s2 = 0;
for (const x of tail) [s1, s2] = [x + c * s1 - s2, s1];
const amplitude = (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2))) / tail.length;
const members = conference.activeMembers;
await engine.close();
console.log(JSON.stringify({ nativeBeforeStart, members, amplitude }));
`;

describe('the packed package in a fresh project', () => {
  let project: string;

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'confmix-package-'));
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', project], { cwd: root, encoding: 'utf8' })) as Array<{ filename: string }>;
    const tarball = join(project, packed[0].filename);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'confmix-consumer', private: true, type: 'module', dependencies: { confmix: `file:${tarball}` }, allowScripts: { confmix: true } }, null, 2),
    );
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: project, stdio: 'inherit' });
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('built the addon from source on install, and ships dist/ with declarations but no TypeScript sources', () => {
    const installed = join(project, 'node_modules', 'confmix');
    expect(existsSync(join(installed, 'build', 'Release', 'confmix.node'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });

  it('runs the confmix command as compiled JavaScript, with no tsx installed', () => {
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
    const run = spawnSync(join(project, 'node_modules', '.bin', 'confmix'), ['no-such-command'], { cwd: project, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^usage: confmix serve/);
  });

  it('mixes from plain .mjs', () => {
    writeFileSync(join(project, 'main.mjs'), program(false));
    const result = JSON.parse(execFileSync(process.execPath, ['main.mjs'], { cwd: project, encoding: 'utf8' })) as Record<string, number>;
    expect(result.nativeBeforeStart).toBe(0);
    expect(result.members).toBe(2);
    // 8000 in, unity gain: the listener hears it within 1 dB.
    expect(Math.abs(20 * Math.log10(result.amplitude / 8000))).toBeLessThan(1);
  });

  it('type-checks and mixes from TypeScript, with the types resolved from the package', () => {
    // The last line only type-checks if the types are resolved: activeMembers is a number.
    writeFileSync(join(project, 'main.ts'), `${program(true)}\n// @ts-expect-error: activeMembers is a number\nconst membersText: string = conference.activeMembers;\nvoid membersText;\n`);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'out',
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['main.ts'],
      }),
    );
    execFileSync(process.execPath, [typescript, '-p', '.'], { cwd: project, stdio: 'inherit' });
    const result = JSON.parse(execFileSync(process.execPath, [join('out', 'main.js')], { cwd: project, encoding: 'utf8' })) as Record<string, number>;
    expect(result.nativeBeforeStart).toBe(0);
    expect(result.members).toBe(2);
    expect(Math.abs(20 * Math.log10(result.amplitude / 8000))).toBeLessThan(1);
  });
});
