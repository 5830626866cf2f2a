// `confmix demo`: a live conference of app members you can watch; `confmix bench <name>`: the
// benchmarks (see bench/). The embedded server's `confmix serve` comes with the HTTP layer.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createEngine, type AppLeg } from './index.ts';

const RATE = 16000;

/** Power of one frequency in a frame, in dBFS of a full-scale sine (Goertzel). */
function toneDbfs(pcm: Int16Array, freq: number): number {
  const w = (2 * Math.PI * freq) / RATE, c = 2 * Math.cos(w);
  let s1 = 0, s2 = 0;
  for (const x of pcm) [s1, s2] = [x + c * s1 - s2, s1];
  const amplitude = (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - c * s1 * s2))) / pcm.length;
  return 20 * Math.log10(Math.max(amplitude, 1e-3) / 32767);
}

/** Writes a tone into an app leg in real time, frame by frame, as its output frames arrive. */
async function speakTone(leg: AppLeg, freq: number, amplitude: number): Promise<void> {
  let phase = 0;
  const frame = () => {
    const pcm = new Int16Array(leg.frameSamples);
    for (let i = 0; i < pcm.length; i++) pcm[i] = amplitude * Math.sin((phase += (2 * Math.PI * freq) / RATE));
    return pcm;
  };
  for (let i = 0; i < 3; i++) leg.write(frame());
  for await (const _heard of leg) leg.write(frame());
}

async function demo(seconds: number): Promise<void> {
  const engine = await createEngine({ shards: 1 });
  const conference = await engine.createConference({ from: 'demo', tag: 'demo', rate: RATE, 'comfort-noise': true });
  engine.on('event', ({ payload }) => {
    const p = payload as unknown as Record<string, unknown>;
    if (p.eventType !== 'talking' || p.status === 'start') console.log(`  event ${JSON.stringify(p)}`);
  });
  const legs = await Promise.all([engine.createAppLeg({ rate: RATE }), engine.createAppLeg({ rate: RATE }), engine.createAppLeg({ rate: RATE })]);
  const [alice, bob, carol] = await Promise.all(legs.map((leg, i) => conference.addMember({ leg, callId: ['alice', 'bob', 'carol'][i] })));
  void speakTone(legs[0], 440, 6000);
  void speakTone(legs[1], 660, 6000);
  console.log(`conference ${conference.id}: alice speaks 440 Hz, bob 660 Hz, carol listens`);
  console.log('second  carol hears 440 Hz  carol hears 660 Hz   (dBFS)');
  let frames = 0;
  const perSecond = RATE / legs[2].frameSamples;
  const window = new Int16Array(RATE / 2); // the last half second: 2 Hz resolution
  for await (const heard of legs[2]) {
    frames++;
    window.copyWithin(0, heard.length);
    window.set(heard, window.length - heard.length);
    if (frames % perSecond === 0) {
      const second = frames / perSecond;
      console.log(`${String(second).padStart(6)}  ${toneDbfs(window, 440).toFixed(1).padStart(17)}  ${toneDbfs(window, 660).toFixed(1).padStart(17)}`);
      if (second === 2) {
        console.log('  alice presses 0 (mute)');
        await alice.pressKey('0');
      }
      if (second === 3) {
        console.log('  bob presses 1 twice (talk volume -6 dB)');
        await bob.pressKey('1');
        await bob.pressKey('1');
      }
      if (second === 4) {
        console.log('  alice presses 0 again (unmute)');
        await alice.pressKey('0');
      }
      if (second >= seconds) break;
    }
  }
  await carol.update({ state: 'completed' });
  await conference.update({ state: 'completed' });
  await engine.close();
  console.log(`conference ${conference.state}`);
}

const [command = 'demo', ...args] = process.argv.slice(2);
if (command === 'demo') {
  const at = args.indexOf('--seconds');
  await demo(at >= 0 ? Number(args[at + 1]) : 6);
} else if (command === 'bench') {
  const runner = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench', 'run.ts');
  const result = spawnSync(process.execPath, ['--import', 'tsx', runner, ...args], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
} else {
  console.error('usage: confmix demo [--seconds N] | confmix bench <mixer|media|load|report> [flags]');
  process.exit(2);
}
