// The soak benchmark: `npm run bench -- soak [--minutes M] [--members N] [--sample-seconds S]`.
//
// One engine (one shard) and a room of N plain-RTP members, half PCMU and half Opus, 10 % of them
// talking (tone loops), fed by the native load generator on loopback, which counts exactly what
// each member's leg sends back. Around them, all the time: members joining and leaving (RTP legs
// opened and closed), DTMF keys pressed, playbacks started and stopped. Every sample period (a
// minute by default) it records the process's RSS, open descriptors and threads, the media
// thread's tick lateness p99 and overruns, the steady members' loss and least packet rate, and
// the events delivered. At the end it prints the table and a JSON line:
// {"bench":"soak","results":[{minutes, members, rssGrowthPct, fdGrowth, threadGrowth, tickLatenessP99MsMax, rxPpsPerParticipantMin}]}
// Growth is measured from the sample at 5 minutes (or the run's first third, if shorter) to the end.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/Engine.ts';
import { ShardPool } from '../../src/shard/ShardPool.ts';
import { LoadGenerator, type LoadStreamOptions } from '../../src/native/testing/media.ts';
import type { Member } from '../../src/index.ts';
import type { Bench, BenchReport } from '../run.ts';
import type { ShardConferenceRequests } from '../../src/shard/conferenceProtocol.ts';
import { FORMATS, NON_TALKER_STREAMS, encodeToneLoops, TONE_LOOP_FRAMES } from '../load/payloads.ts';
import type { LoadCodec } from '../load/options.ts';

const ADDRESS = '127.0.0.1';
const PORT_MIN = 40000;
const PORT_MAX = 49999;
const INTERVAL_MS = 20;
const TALKER_SHARE = 0.1;
/** Members joining and leaving at any moment, and how often one of them is replaced. */
const CHURN_SLOTS = 20;
const CHURN_EVERY_MS = 100;
const KEY_EVERY_MS = 500;
const PLAYBACK_EVERY_MS = 5000;
const PLAYBACK_LENGTH_MS = 2000;
/** The figure growth is measured from: the sample at this minute (or a third of a short run). */
const GROWTH_FROM_MINUTE = 5;

type Stats = ShardConferenceRequests['stats']['result'];

interface SoakOptions {
  minutes: number;
  members: number;
  sampleSeconds: number;
}

interface Sample {
  minute: number;
  rssMb: number;
  fds: number;
  threads: number;
  latenessP99Ms: number;
  overruns: number;
  lossPct: number;
  rxPpsMin: number;
  events: number;
  joins: number;
}

function parseArgs(args: readonly string[]): SoakOptions {
  const options: SoakOptions = { minutes: 10, members: 1000, sampleSeconds: 60 };
  for (let i = 0; i < args.length; i++) {
    const value = Number(args[i + 1]);
    if (args[i] === '--minutes') options.minutes = value;
    else if (args[i] === '--members') options.members = value;
    else if (args[i] === '--sample-seconds') options.sampleSeconds = value;
    else throw new Error(`unknown soak flag '${args[i]}' (--minutes, --members, --sample-seconds)`);
    i++;
  }
  if (!(options.minutes > 0) || !Number.isInteger(options.members) || options.members < 10 || options.members > 4000 || !(options.sampleSeconds >= 1)) {
    throw new Error('--minutes must be positive, --members an integer 10..4000, --sample-seconds at least 1');
  }
  return options;
}

const count = (dir: string): number => readdirSync(dir).length;
const wait = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A 1 s 600 Hz tone as a 16 kHz WAV, for the playbacks. */
function toneWav(): string {
  const rate = 16000;
  const samples = Buffer.alloc(rate * 2);
  for (let i = 0; i < rate; i++) samples.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 600 * i) / rate)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples.length, 40);
  const path = join(mkdtempSync(join(tmpdir(), 'confmix-soak-')), 'tone.wav');
  writeFileSync(path, Buffer.concat([header, samples]));
  return path;
}

/** The generator's streams: member i is Opus when i is odd; talkers first in each codec. */
function streamsFor(codecs: LoadCodec[], talkers: Set<number>): LoadStreamOptions[] {
  const loops = { pcmu: encodeToneLoops('pcmu'), opus: encodeToneLoops('opus') };
  return codecs.map((codec, i) => {
    const format = FORMATS[codec];
    if (talkers.has(i)) {
      const frames = loops[codec][i % loops[codec].length];
      return { members: 1, payloadType: format.payloadType, clockRate: format.clockRate, intervalMs: INTERVAL_MS, frames, firstFrame: (i * 7) % TONE_LOOP_FRAMES };
    }
    const quiet = NON_TALKER_STREAMS[codec];
    return { members: 1, payloadType: format.payloadType, clockRate: format.clockRate, intervalMs: quiet.intervalMs, frames: [quiet.payload], firstFrame: 0 };
  });
}

async function soak(options: SoakOptions): Promise<BenchReport> {
  const pool = await ShardPool.create({ shards: 1, portMin: PORT_MIN, portMax: PORT_MAX });
  const engine = Engine.createWithPool(pool, { completedHistory: 100 });
  const shard = pool.shards[0];
  let events = 0;
  engine.on('event', () => events++);
  const conference = await engine.createConference({ rate: 16000, interval: INTERVAL_MS });
  const wav = toneWav();

  // The steady room, fed by the generator.
  const codecs: LoadCodec[] = Array.from({ length: options.members }, (_, i) => (i % 2 === 0 ? 'pcmu' : 'opus'));
  const talkers = new Set(Array.from({ length: Math.round(options.members * TALKER_SHARE) }, (_, k) => Math.floor(k / TALKER_SHARE)));
  const generator = new LoadGenerator({ streams: streamsFor(codecs, talkers), localAddress: ADDRESS, tickMs: INTERVAL_MS });
  const ports = generator.ports();
  const steady: Member[] = [];
  for (let first = 0; first < options.members; first += 100) {
    const batch = codecs.slice(first, first + 100).map((codec, k) =>
      conference.addMember({
        leg: { kind: 'rtp', codec, remoteAddress: ADDRESS, remotePort: ports[first + k], timeoutMs: 0 },
        ...(talkers.has(first + k) ? {} : { energyLevel: 1600 }),
      }),
    );
    steady.push(...(await Promise.all(batch)));
  }
  generator.start(steady.map((member) => ({ address: ADDRESS, port: (member.leg as { localPort: number }).localPort })));

  // The traffic around it.
  let joins = 0;
  let running = true;
  const churn: Array<Member | null> = new Array(CHURN_SLOTS).fill(null);
  const churnLoop = (async () => {
    for (let n = 0; running; n++) {
      const slot = n % CHURN_SLOTS;
      const leaving = churn[slot];
      churn[slot] = null;
      if (leaving) await leaving.update({ state: 'completed' });
      churn[slot] = await conference.addMember({ leg: { kind: 'rtp', codec: n % 2 ? 'opus' : 'pcmu', symmetricLatching: true, timeoutMs: 0 } });
      joins++;
      await wait(CHURN_EVERY_MS);
    }
  })();
  const keyLoop = (async () => {
    for (let n = 0; running; n++) {
      await steady[(n * 37) % steady.length].pressKey(n % 2 ? '3' : '1'); // talk level up, then down
      await wait(KEY_EVERY_MS);
    }
  })();
  const playbackLoop = (async () => {
    while (running) {
      const playback = await conference.play({ fileUrl: wav, loopEnabled: true });
      await wait(PLAYBACK_LENGTH_MS);
      await playback?.stop();
      await wait(PLAYBACK_EVERY_MS - PLAYBACK_LENGTH_MS);
    }
  })();

  const samples: Sample[] = [];
  const periods = Math.max(1, Math.round((options.minutes * 60) / options.sampleSeconds));
  let lastReceived = generator.received();
  let lastStats = await shard.request('stats');
  let lastEvents = events;
  let lastJoins = joins;
  console.log('minute   rss MB   fds   threads   lateness p99 ms   overruns   loss %   rx pps min   events   joins');
  await shard.request('resetLateness');
  for (let period = 1; period <= periods; period++) {
    const started = Date.now();
    await wait(options.sampleSeconds * 1000);
    const seconds = (Date.now() - started) / 1000;
    const stats = await shard.request('stats');
    const received = generator.received();
    let rxMin = Infinity;
    let expected = 0;
    let got = 0;
    for (let i = 0; i < options.members; i++) {
      const rx = received[i] - lastReceived[i];
      rxMin = Math.min(rxMin, rx / seconds);
      got += rx;
      expected += (seconds * 1000) / INTERVAL_MS;
    }
    const sample: Sample = {
      minute: (period * options.sampleSeconds) / 60,
      rssMb: process.memoryUsage.rss() / 2 ** 20,
      fds: count('/proc/self/fd'),
      threads: count('/proc/self/task'),
      latenessP99Ms: stats.lateness.p99Ms,
      overruns: stats.overruns - lastStats.overruns,
      lossPct: Math.max(0, (100 * (expected - got)) / expected),
      rxPpsMin: rxMin,
      events: events - lastEvents,
      joins: joins - lastJoins,
    };
    samples.push(sample);
    console.log(
      `${sample.minute.toFixed(1).padStart(6)}   ${sample.rssMb.toFixed(1).padStart(6)}   ${String(sample.fds).padStart(4)}   ${String(sample.threads).padStart(7)}   ${sample.latenessP99Ms.toFixed(3).padStart(15)}   ${String(sample.overruns).padStart(8)}   ${sample.lossPct.toFixed(2).padStart(6)}   ${sample.rxPpsMin.toFixed(1).padStart(10)}   ${String(sample.events).padStart(6)}   ${String(sample.joins).padStart(5)}`,
    );
    [lastReceived, lastStats, lastEvents, lastJoins] = [received, stats, events, joins];
    await shard.request('resetLateness');
  }

  running = false;
  await Promise.all([churnLoop, keyLoop, playbackLoop]);
  generator.stop();
  await engine.close();
  await pool.close();

  const fromIndex = Math.min(samples.length - 1, Math.max(0, Math.round((Math.min(GROWTH_FROM_MINUTE, options.minutes / 3) * 60) / options.sampleSeconds) - 1));
  const from = samples[fromIndex];
  const last = samples[samples.length - 1];
  const result = {
    minutes: options.minutes,
    members: options.members,
    rssGrowthPct: Math.round((10000 * (last.rssMb - from.rssMb)) / from.rssMb) / 100,
    fdGrowth: last.fds - from.fds,
    threadGrowth: last.threads - from.threads,
    tickLatenessP99MsMax: Math.max(...samples.map((s) => s.latenessP99Ms)),
    rxPpsPerParticipantMin: Math.round(10 * Math.min(...samples.map((s) => s.rxPpsMin))) / 10,
    overruns: samples.reduce((sum, s) => sum + s.overruns, 0),
    lossPctMax: Math.max(...samples.map((s) => s.lossPct)),
    eventsDelivered: samples.reduce((sum, s) => sum + s.events, 0),
    joins: samples.reduce((sum, s) => sum + s.joins, 0),
    growthFromMinute: from.minute,
  };
  console.log('');
  console.log(`growth from minute ${from.minute.toFixed(1)}: RSS ${result.rssGrowthPct} %, descriptors ${result.fdGrowth}, threads ${result.threadGrowth}; lateness p99 max ${result.tickLatenessP99MsMax.toFixed(3)} ms; least member rx ${result.rxPpsPerParticipantMin} packets/s`);
  return { bench: 'soak', results: [result] };
}

export const soakBench: Bench = {
  description: 'a churning room for M minutes: RSS, descriptors, threads, lateness, loss, rx per member',
  run: async (args) => soak(parseArgs(args)),
};
