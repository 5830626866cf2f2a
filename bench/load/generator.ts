// The load generator process of one room (forked by the engine process with an IPC channel).
//
// Every member's RTP comes from the native LoadGenerator: one clock thread, a few shared UDP
// sockets (one per 100 members), batched sends and receives, and an exact count per member of
// what its leg sends back. Its streams:
//   talkers: one stream each, a pre-encoded tone loop (talker i sends TONES_HZ[i % 8]), 20 ms;
//   everyone else: one stream of the codec's fixed payload (payloads.ts: NON_TALKER_STREAMS), or
//   with `noisy` (Opus) a loop of encoded low-level noise;
//   with `keyPressers`, the last members: RFC 4733 key presses (payloads.ts: DTMF_STREAM).
// With `sdp`, it binds first and reports each member's port (the address its SDP offer names;
// members of one socket share it), and starts sending once told where each member's leg is.
// Exits when told to stop, or when its parent goes away.
import { LoadGenerator, type LoadStreamOptions } from '../../src/native/testing/media.ts';
import { DTMF_STREAM, encodeToneLoops, FORMATS, nonTalkerStream, TONE_LOOP_FRAMES } from './payloads.ts';
import type { FromGenerator, GeneratorConfig, GeneratorSnapshot, ToGenerator, TraceRecord } from './protocol.ts';

const ADDRESS = '127.0.0.1';
const TALKER_INTERVAL_MS = 20;
/** SCHED_FIFO priority of the generator's clock thread: the engine's media thread's. */
const GENERATOR_PRIORITY = 10;
/** Talker i starts its loop this many frames after talker i - 1, so equal tones are not all in step. */
const TALKER_FRAME_STAGGER = 7;

function send(message: FromGenerator): void {
  process.send?.(message);
}

const config = JSON.parse(process.argv[2] ?? '{}') as GeneratorConfig;
const format = FORMATS[config.codec];
const members = config.sdp ? config.members : config.targetPorts.length;

/** Talkers first (one stream each: its own tone and start in the loop), then everyone else. */
function streams(): LoadStreamOptions[] {
  const out: LoadStreamOptions[] = [];
  if (config.onsets) return onsetStreams(config.onsets);
  const loops = config.talkers > 0 ? encodeToneLoops(config.codec) : [];
  for (let i = 0; i < config.talkers; i++) {
    out.push({
      members: 1,
      payloadType: format.payloadType,
      clockRate: format.clockRate,
      intervalMs: TALKER_INTERVAL_MS,
      frames: loops[i % loops.length],
      firstFrame: (i * TALKER_FRAME_STAGGER) % TONE_LOOP_FRAMES,
    });
  }
  const pressers = config.keyPressers ?? 0;
  const rest = members - config.talkers - pressers;
  if (rest > 0 && config.listenerLoop) {
    const frames = config.listenerLoop.map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
    out.push({ members: rest, payloadType: format.payloadType, clockRate: format.clockRate, intervalMs: TALKER_INTERVAL_MS, frames });
  } else if (rest > 0) {
    const { intervalMs, frames } = nonTalkerStream(config.codec, config.noisy === true);
    out.push({ members: rest, payloadType: format.payloadType, clockRate: format.clockRate, intervalMs, frames });
  }
  if (pressers > 0) out.push({ members: pressers, ...DTMF_STREAM });
  return out;
}

/** Latency probes: each talker a traced onset loop; the listeners in runs around the traced probes. */
function onsetStreams(onsets: NonNullable<GeneratorConfig['onsets']>): LoadStreamOptions[] {
  const stream = { payloadType: format.payloadType, clockRate: format.clockRate, intervalMs: TALKER_INTERVAL_MS };
  const out: LoadStreamOptions[] = [];
  for (let i = 0; i < config.talkers; i++) {
    const loop = onsets.loops[i % onsets.loops.length].map((hex) => Uint8Array.from(Buffer.from(hex, 'hex')));
    out.push({ ...stream, members: 1, frames: loop, traced: true });
  }
  const { intervalMs, frames } = nonTalkerStream(config.codec, config.noisy === true);
  const listeners = { ...stream, intervalMs, frames };
  let next = config.talkers;
  for (const probe of [...onsets.probes].sort((a, b) => a - b)) {
    if (probe > next) out.push({ ...listeners, members: probe - next });
    out.push({ ...listeners, members: 1, traced: true });
    next = probe + 1;
  }
  if (members > next) out.push({ ...listeners, members: members - next });
  return out;
}

/** The traced members' logs: the talkers and the probes. */
function traces(): TraceRecord[] {
  if (!generator || !config.onsets) return [];
  const traced = [...Array.from({ length: config.talkers }, (_, i) => i), ...config.onsets.probes];
  return traced.map((member) => {
    const trace = generator!.trace(member);
    return {
      member,
      sendPackets: Array.from(trace.sendPackets),
      sendTimesMs: Array.from(trace.sendTimesMs),
      receiveTimesMs: Array.from(trace.receiveTimesMs),
      receives: trace.receives.map((bytes) => Buffer.from(bytes).toString('hex')),
    };
  });
}

let generator: LoadGenerator | undefined;
// With sdp: where to send, once every member has joined.
let onStart: ((targetPorts: number[]) => void) | undefined;

function snapshot(): GeneratorSnapshot {
  const stats = generator?.stats();
  const cpu = process.cpuUsage();
  return {
    atMs: Number(process.hrtime.bigint()) / 1e6,
    cpuMs: (cpu.user + cpu.system) / 1000,
    nativeCpuMs: stats?.cpuMs ?? 0,
    received: generator ? Array.from(generator.received()) : [],
    ticks: stats?.ticks ?? 0,
    sent: stats?.sent ?? 0,
    sendFailed: stats?.sendFailed ?? 0,
    strangers: stats?.strangers ?? 0,
    latenessMaxMs: stats?.latenessMaxMs ?? 0,
    rssMb: process.memoryUsage.rss() / 2 ** 20,
  };
}

let stopped = false;
function stop(): GeneratorSnapshot {
  const last = snapshot();
  if (stopped) return last;
  stopped = true;
  generator?.stop();
  return last;
}

process.on('message', (message: ToGenerator) => {
  if (message.type === 'snapshot') {
    send({ type: 'snapshot', id: message.id, snapshot: snapshot() });
  } else if (message.type === 'traces') {
    send({ type: 'traces', id: message.id, traces: traces() });
  } else if (message.type === 'start') {
    onStart?.(message.targetPorts);
  } else if (message.type === 'stop') {
    // The engine disconnects once it has this answer; 'disconnect' below then exits.
    send({ type: 'stopped', snapshot: stop() });
  }
});
// The engine process went away: stop sending at once.
process.on('disconnect', () => {
  stop();
  process.exit(0);
});

try {
  // Real-time like the engine's clock (where permitted), so the engine's own threads on the
  // same cores do not hold the peers' packets back into bursts.
  generator = new LoadGenerator({ streams: streams(), localAddress: ADDRESS, tickMs: TALKER_INTERVAL_MS, realtimePriority: GENERATOR_PRIORITY });
  let targetPorts = config.targetPorts;
  if (config.sdp) {
    const started = new Promise<number[]>((resolve) => (onStart = resolve));
    send({ type: 'bound', ports: generator.ports() });
    targetPorts = await started;
  }
  generator.start(targetPorts.map((port) => ({ address: ADDRESS, port })));
  send({ type: 'started' });
} catch (error) {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  stop();
  process.exit(1);
}
