// The server under load, in its own process (so the load tool does not share its event loop):
// a confmix server as `npm start` runs it (one shard per core unless --shards says otherwise,
// conferences placed by the engine) with per-request and per-callback logs at info level (to a
// null sink). For the callback window it resets the tick lateness (every shard's and every
// conference's), counts the callback events the engine emits, and can profile its main thread
// (node:inspector) over that window; at its end it reads the room's own lateness and where the
// engine placed the conferences.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino } from 'pino';
import { createServer } from '../../src/http/server.ts';
import type { BenchUser, FromServer, ToServer } from './protocol.ts';

const user: BenchUser = JSON.parse(process.env.CONFMIX_BENCH_USER!);
const nullSink = new Writable({ write: (_chunk, _encoding, done) => done() });
const server = await createServer({
  config: { port: 0, ...(process.env.CONFMIX_BENCH_SHARDS ? { shards: Number(process.env.CONFMIX_BENCH_SHARDS) } : {}), rtpPortMin: 30000, rtpPortMax: 39999, users: [{ ...user, limits: { conferences: 0, members: 0, requestsPerSecond: 0 } }], callbackQueue: 10_000 },
  logger: pino({ level: 'info' }, nullSink),
});
const url = await server.listen();
// The floor: Fastify alone (no hooks, auth, schemas or logs), one route answering the same
// conference's JSON, in this same process (phases run one at a time, so each has it to itself).
const bare = Fastify();
bare.get<{ Params: { conferenceId: string } }>('/v1/users/:userId/conferences/:conferenceId', async (request) => server.engine.getConference(request.params.conferenceId).toJSON());
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });
const send = (message: FromServer): void => void process.send!(message);
send({ type: 'ready', url, bareUrl });

let events = 0;
server.engine.on('event', () => void events++);
const deliveries = async (): Promise<Record<string, number>> =>
  Object.fromEntries((await server.metrics.callbackDeliveries.get()).values.map((v) => [v.labels.result, v.value]));
let window: { events: number; deliveries: Record<string, number>; startedMs: number; profile?: string; session?: Session } | undefined;

process.on('message', (message: ToServer) => {
  void (async () => {
    if (message.type === 'window-start') {
      await server.engine.resetTickLateness();
      window = { events, deliveries: await deliveries(), startedMs: performance.now(), ...(message.profile ? { profile: message.profile } : {}) };
      if (message.profile) {
        window.session = new Session();
        window.session.connect();
        await window.session.post('Profiler.enable');
        await window.session.post('Profiler.start');
      }
      send({ type: 'window-started' });
    } else if (message.type === 'window-end' && window) {
      const seconds = (performance.now() - window.startedMs) / 1000;
      const room = server.engine.getConference(message.roomId);
      const roomClock = await room.clockStats();
      const shard = (await server.engine.shardStats()).find((s) => s.shard === room.shardId)!;
      const now = await deliveries();
      const delta = Object.fromEntries(Object.entries(now).map(([result, n]) => [result, n - (window!.deliveries[result] ?? 0)]));
      if (window.session) {
        const { profile } = await window.session.post('Profiler.stop');
        await writeFile(window.profile!, JSON.stringify(profile));
        window.session.disconnect();
      }
      send({
        type: 'window-ended',
        events: events - window.events,
        deliveries: delta,
        seconds,
        room: { tick: roomClock.tickLateness, flush: roomClock.flushLateness },
        roomShard: { shard: shard.shard, conferences: shard.conferences, p99Ms: shard.lateness.p99Ms, maxMs: shard.lateness.maxMs, overruns: shard.overruns },
        shards: server.config.shards,
      });
      window = undefined;
    } else if (message.type === 'cpu') {
      const { user: u, system } = process.cpuUsage();
      send({ type: 'cpu', cpuUs: u + system, mainBusyUs: performance.eventLoopUtilization().active * 1000, mainCpuUs: mainThreadCpuUs() });
    } else if (message.type === 'close') {
      await bare.close();
      await server.close();
      process.exit(0);
    }
  })();
});

/** The main thread's own CPU time (user + system), µs, from its /proc task entry (clock ticks of 10 ms). */
function mainThreadCpuUs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
