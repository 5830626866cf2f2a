// The engine process of one bridged run (forked by bench/mediasoup/index.ts with an IPC channel):
// a mediasoup worker and router, one conference bridged to it, and N members joined through the
// bridge. Each member has the app's PlainTransport (comedia) carrying its producer, fed by the
// native load generator, and a consumer of its own mix producer, which the generator counts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../../src/index.ts';
import { GeneratorProcess } from '../load/generatorProcess.ts';
import { FORMATS } from '../load/payloads.ts';
import type { BridgedRoomConfig, BridgedRoomResult, FromBridgedRoom } from './protocol.ts';

/** The load generator's SSRC of member i (native/testing/io/load_generator.cpp). */
const GENERATOR_SSRC_BASE = 0x1000_0000;
/** Members joined at once. */
const JOIN_BATCH = 25;
/** mediasoup's ports: clear of the engine's (40000-49999) and the tests'. */
const MEDIASOUP_PORTS = { min: 30000, max: 39999 };

const wait = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A process's CPU time (all threads) from /proc, ms. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks of 10 ms.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function run(config: BridgedRoomConfig): Promise<BridgedRoomResult> {
  const setupStart = performance.now();
  const build = fileURLToPath(new URL('../../scripts/mediasoup-worker/build.sh', import.meta.url));
  process.env.MEDIASOUP_WORKER_BIN = execFileSync('bash', [build], { encoding: 'utf8', stdio: ['ignore', 'pipe', 2] }).trim();
  const mediasoup = await import('mediasoup');
  const worker = await mediasoup.createWorker({ logLevel: 'error', rtcMinPort: MEDIASOUP_PORTS.min, rtcMaxPort: MEDIASOUP_PORTS.max });
  const router = await worker.createRouter({ mediaCodecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }] });
  const engine = await createEngine({ shards: 1, portMin: config.portMin, portMax: config.portMax });
  let generator: GeneratorProcess | undefined;
  try {
    const conference = await engine.createConference({ rate: config.rate });
    const bridge = await conference.bridgeMediasoup({ router, mixProducer: false });
    const ports: number[] = new Array(config.members);
    const join = async (i: number): Promise<void> => {
      const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
      const producer = await transport.produce({
        kind: 'audio',
        rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: FORMATS.opus.payloadType, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: GENERATOR_SSRC_BASE + i }] },
      });
      const { producer: mix } = await bridge.addProducer(producer as never, {});
      await transport.consume({ producerId: mix.id, rtpCapabilities: router.rtpCapabilities });
      ports[i] = transport.tuple.localPort;
    };
    for (let first = 0; first < config.members; first += JOIN_BATCH) {
      await Promise.all(Array.from({ length: Math.min(JOIN_BATCH, config.members - first) }, (_, k) => join(first + k)));
    }
    generator = new GeneratorProcess({ codec: 'opus', talkers: config.talkers, targetPorts: ports, members: config.members });
    await generator.started();
    const setupS = (performance.now() - setupStart) / 1000;
    await wait(config.warmupS * 1000);
    await engine.resetTickLateness();
    const genBefore = await generator.snapshot();
    const workerBefore = processCpuMs(worker.pid);
    const engineBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await wait(config.durationS * 1000);
    const engineCpu = process.cpuUsage(engineBefore);
    const workerCpuMs = processCpuMs(worker.pid) - workerBefore;
    const genAfter = await generator.snapshot();
    const wallMs = performance.now() - wallBefore;
    const windowS = (genAfter.atMs - genBefore.atMs) / 1000;
    const shards = await engine.shardStats();
    const rx = genAfter.received.map((count, i) => (count - genBefore.received[i]) / windowS);
    const pct = (ms: number): number => (ms / wallMs) * 100;
    return {
      members: config.members,
      talkers: config.talkers,
      engineCpuPct: pct((engineCpu.user + engineCpu.system) / 1000),
      workerCpuPct: pct(workerCpuMs),
      rxPpsPerParticipantMin: Math.min(...rx),
      rxPpsPerParticipantMean: rx.reduce((a, b) => a + b, 0) / rx.length,
      tickLatenessP99Ms: Math.max(...shards.map((s) => s.lateness.p99Ms)),
      tickLatenessMaxMs: Math.max(...shards.map((s) => s.lateness.maxMs)),
      generatorStrangers: genAfter.strangers - genBefore.strangers,
      setupS,
    };
  } finally {
    await generator?.stop();
    await engine.close();
    worker.close();
  }
}

const config = JSON.parse(process.argv[2] ?? '{}') as BridgedRoomConfig;
process.on('disconnect', () => process.exit(1));
run(config).then(
  (result) => process.send?.({ type: 'result', result } satisfies FromBridgedRoom),
  (error: unknown) => process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromBridgedRoom),
);
