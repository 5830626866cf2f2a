// The load generator process of one room (forked by the engine process with an IPC channel).
//
// Talkers send pre-encoded tone frames from JavaScript sockets, one per talker, counted per
// socket. Everyone else comes from the native LoadGenerator (its own clock thread, one socket
// per member), which sends one fixed payload per member:
//   PCMU: 160 bytes every 20 ms; they decode to noise, so the engine's gate keeps those members
//         shut (see room.ts): the same decode and scoring work as encoded silence.
//   Opus: 1 byte every 40 ms; that byte is the TOC of a 40 ms packet with empty frames, which
//         the engine takes as DTX and does not decode.
// With `sdp`, it binds first and reports each member's port (the address its SDP offer names),
// and starts sending once told where each member's leg is (from the answers).
// Exits when told to stop, or when its parent goes away.
import dgram from 'node:dgram';
import { LoadGenerator } from '../../src/native/media.ts';
import { encodeToneLoops, FORMATS, TONE_LOOP_FRAMES, writeRtpHeader } from './payloads.ts';
import type { FromGenerator, GeneratorConfig, GeneratorSnapshot, ToGenerator } from './protocol.ts';

const ADDRESS = '127.0.0.1';
const INTERVAL_MS = 20;
/** SSRCs of talkers; the native generator's start at 0x10000000. */
const TALKER_SSRC_BASE = 0x20000000;

function send(message: FromGenerator): void {
  process.send?.(message);
}

const config = JSON.parse(process.argv[2] ?? '{}') as GeneratorConfig;
const format = FORMATS[config.codec];
const silentCount = (config.sdp ? config.members : config.targetPorts.length) - config.talkers;

// --- talkers, from JavaScript ---------------------------------------------------------------
const loops = config.talkers > 0 ? encodeToneLoops(config.codec) : [];
const talkerSockets: dgram.Socket[] = [];
const talkerReceived = new Float64Array(config.talkers);
let talkerRounds = 0;
let talkerSendFailed = 0;
let talkerLatenessMaxMs = 0;
let talkerTimer: NodeJS.Timeout | undefined;

async function bindTalkers(): Promise<void> {
  for (let i = 0; i < config.talkers; i++) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', () => {
      talkerReceived[i]++;
    });
    socket.on('error', () => {
      talkerSendFailed++;
    });
    await new Promise<void>((resolve) => socket.bind(0, ADDRESS, () => resolve()));
    talkerSockets.push(socket);
  }
}

async function connectTalkers(targetPorts: readonly number[]): Promise<void> {
  // Connected: each send skips the address lookup, and only the member's leg is heard.
  await Promise.all(talkerSockets.map((socket, i) => new Promise<void>((resolve) => socket.connect(targetPorts[i], ADDRESS, () => resolve()))));
}

function sendTalkerRound(round: number): void {
  const timestamp = round * format.frameSamples;
  for (let i = 0; i < talkerSockets.length; i++) {
    const loop = loops[i % loops.length];
    // Talkers start at different points of their loop, so equal tones do not add in phase.
    const payload = loop[(round + i * 7) % TONE_LOOP_FRAMES];
    const packet = Buffer.allocUnsafe(12 + payload.length);
    writeRtpHeader(packet, format.payloadType, round, timestamp, TALKER_SSRC_BASE + i);
    packet.set(payload, 12);
    talkerSockets[i].send(packet, (error) => {
      if (error) talkerSendFailed++;
    });
  }
}

function startTalkers(): void {
  if (talkerSockets.length === 0) return;
  const startMs = performance.now();
  // Absolute deadlines: a late timer sends the rounds it missed at once, so nothing drifts.
  const wake = (): void => {
    const now = performance.now();
    while (startMs + talkerRounds * INTERVAL_MS <= now) {
      talkerLatenessMaxMs = Math.max(talkerLatenessMaxMs, now - (startMs + talkerRounds * INTERVAL_MS));
      sendTalkerRound(talkerRounds++);
    }
    talkerTimer = setTimeout(wake, Math.max(0, startMs + talkerRounds * INTERVAL_MS - performance.now()));
  };
  wake();
}

// --- everyone else, from the native generator ------------------------------------------------
const native =
  silentCount > 0
    ? new LoadGenerator(
        config.codec === 'pcmu'
          ? { members: silentCount, localAddress: ADDRESS, intervalMs: 20, payloadType: 0, clockRate: 8000, payloadBytes: 160 }
          : { members: silentCount, localAddress: ADDRESS, intervalMs: 40, payloadType: format.payloadType, clockRate: 48000, payloadBytes: 1 },
      )
    : null;

// With sdp: where to send, once every member has joined.
let onStart: ((targetPorts: number[]) => void) | undefined;

function snapshot(): GeneratorSnapshot {
  const stats = native?.stats();
  const cpu = process.cpuUsage();
  return {
    atMs: Number(process.hrtime.bigint()) / 1e6,
    cpuMs: (cpu.user + cpu.system) / 1000,
    nativeCpuMs: stats?.cpuMs ?? 0,
    talkerReceived: Array.from(talkerReceived),
    nativeReceived: stats?.received ?? 0,
    nativeMinReceived: stats?.minReceived ?? 0,
    nativeTicks: stats?.ticks ?? 0,
    talkerRounds,
    sendFailed: (stats?.sendFailed ?? 0) + talkerSendFailed,
    nativeLatenessMaxMs: stats?.latenessMaxMs ?? 0,
    talkerLatenessMaxMs,
    rssMb: process.memoryUsage.rss() / 2 ** 20,
  };
}

let stopped = false;
function stop(): GeneratorSnapshot {
  const last = snapshot();
  if (stopped) return last;
  stopped = true;
  if (talkerTimer) clearTimeout(talkerTimer);
  native?.stop();
  for (const socket of talkerSockets) socket.close();
  return last;
}

process.on('message', (message: ToGenerator) => {
  if (message.type === 'snapshot') {
    send({ type: 'snapshot', id: message.id, snapshot: snapshot() });
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
  await bindTalkers();
  let targetPorts = config.targetPorts;
  if (config.sdp) {
    const started = new Promise<number[]>((resolve) => (onStart = resolve));
    send({ type: 'bound', ports: [...talkerSockets.map((socket) => socket.address().port), ...(native?.ports() ?? [])] });
    targetPorts = await started;
  }
  await connectTalkers(targetPorts);
  native?.start(targetPorts.slice(config.talkers).map((port) => ({ address: ADDRESS, port })));
  startTalkers();
  send({ type: 'started' });
} catch (error) {
  send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  stop();
  process.exit(1);
}
