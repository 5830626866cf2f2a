// Embedding confmix: two PCM app members in a conference. Alice plays a WAV file into it through
// her app leg; Bob records what he hears. Every callback event is printed as it happens.
//
//   npx tsx examples/embedding.ts [a 16-bit mono 16 kHz WAV]
//
// Without a file, a two-second 440 Hz tone is written to a temporary WAV first.
import { createReadStream, mkdtempSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createEngine } from 'confmix';

const RATE = 16000;

/** Writes `seconds` of a `freqHz` tone at -12 dBFS as a 16-bit mono WAV and returns its path. */
function writeToneWav(freqHz: number, seconds: number): string {
  const samples = Math.round(RATE * seconds);
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16); // fmt chunk size
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(RATE, 24);
  wav.writeUInt32LE(RATE * 2, 28); // bytes per second
  wav.writeUInt16LE(2, 32); // block align
  wav.writeUInt16LE(16, 34); // bits per sample
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(8192 * Math.sin((2 * Math.PI * freqHz * i) / RATE)), 44 + i * 2);
  const path = join(mkdtempSync(join(tmpdir(), 'confmix-example-')), 'tone.wav');
  writeFileSync(path, wav);
  return path;
}

/** Where the PCM data of a 16-bit mono WAV at RATE starts; anything else is refused. */
function pcmDataOffset(path: string): number {
  const header = Buffer.alloc(44);
  const fd = openSync(path, 'r');
  readSync(fd, header, 0, 44, 0);
  closeSync(fd);
  const plain = header.toString('ascii', 0, 4) === 'RIFF' && header.toString('ascii', 36, 40) === 'data';
  if (!plain || header.readUInt16LE(22) !== 1 || header.readUInt32LE(24) !== RATE || header.readUInt16LE(34) !== 16) {
    throw new Error(`${path}: this example streams 16-bit mono ${RATE} Hz WAVs; conference.play() takes any WAV`);
  }
  return 44;
}

const wavPath = process.argv[2] ?? writeToneWav(440, 2);

// One shard is plenty here; a server would use the default (one per core).
const engine = await createEngine({ shards: 1 });
engine.on('event', ({ payload }) => console.log('event', JSON.stringify(payload)));

const conference = await engine.createConference({ from: '+15550100', tag: 'embedding-example', rate: RATE });
const alice = await engine.createAppLeg({ rate: RATE });
const bob = await engine.createAppLeg({ rate: RATE });
await conference.addMember({ leg: alice, callId: 'alice' });
const bobMember = await conference.addMember({ leg: bob, callId: 'bob' });

// Bob records every frame he hears until his leg closes.
const heard: Int16Array[] = [];
const recording = (async () => {
  for await (const frame of bob) heard.push(frame);
})();

// Alice streams the WAV's samples into her leg, which sends them in real time.
await pipeline(createReadStream(wavPath, { start: pcmDataOffset(wavPath) }), alice.writable);
// Once all of it is sent, let a few more ticks through the mix, then Bob hangs up.
let ticksAfter = 0;
for await (const _frame of alice) if (alice.pendingInputSamples === 0 && ++ticksAfter === 5) break;
bobMember.close();
await recording;

// What Bob heard: its length, and its loudest level (RMS over 100 ms windows).
const all = new Int16Array(heard.reduce((n, frame) => n + frame.length, 0));
heard.reduce((at, frame) => (all.set(frame, at), at + frame.length), 0);
let loudest = 0;
for (let at = 0; at + RATE / 10 <= all.length; at += RATE / 10) {
  let sum = 0;
  for (let i = at; i < at + RATE / 10; i++) sum += all[i] * all[i];
  loudest = Math.max(loudest, Math.sqrt(sum / (RATE / 10)));
}
const summary = { heardSeconds: all.length / RATE, loudestRmsDbfs: Math.round(200 * Math.log10(loudest / 32767)) / 10 };
console.log('bob heard', JSON.stringify(summary));

// Completing the conference removes Alice too; closing the engine stops its shards.
await conference.update({ state: 'completed' });
console.log('conference', conference.state);
await engine.close();
