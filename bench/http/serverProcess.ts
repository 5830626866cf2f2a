// The server under load, in its own process (so the load tool does not share its event loop):
// a confmix server on one shard with per-request logs at info level (to a null sink). On
// request it drives conference-member events through the engine API, for the callback phase.
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createServer } from '../../src/http/server.ts';
import type { BenchUser, FromServer, ToServer } from './protocol.ts';

const user: BenchUser = JSON.parse(process.env.CONFMIX_BENCH_USER!);
const nullSink = new Writable({ write: (_chunk, _encoding, done) => done() });
const server = await createServer({
  config: { shards: 1, port: 0, rtpPortMin: 30000, rtpPortMax: 39999, users: [{ ...user, limits: { conferences: 0, members: 0, requestsPerSecond: 0 } }], callbackQueue: 10_000 },
  logger: pino({ level: 'info' }, nullSink),
});
const url = await server.listen();
const send = (message: FromServer): void => void process.send!(message);
send({ type: 'ready', url });

/** Toggles the mute of one member of each conference, back to back, until `until`. */
async function driveEvents(conferenceIds: string[], until: number): Promise<number> {
  let changes = 0;
  await Promise.all(
    conferenceIds.map(async (id) => {
      const member = server.engine.getConference(id).members.find((m) => !m.closed)!;
      while (performance.now() < until) {
        await member.update({ mute: !member.mute });
        changes++;
      }
    }),
  );
  return changes;
}

process.on('message', (message: ToServer) => {
  void (async () => {
    if (message.type === 'events') {
      await server.engine.resetTickLateness();
      const started = performance.now();
      const changes = await driveEvents(message.conferenceIds, started + message.seconds * 1000);
      const seconds = (performance.now() - started) / 1000;
      const [shard] = await server.engine.shardStats();
      send({ type: 'events-done', changes, seconds, tickLatenessP99Ms: shard.lateness.p99Ms, tickLatenessMaxMs: shard.lateness.maxMs, overruns: shard.overruns });
    } else if (message.type === 'cpu') {
      const { user: u, system } = process.cpuUsage();
      send({ type: 'cpu', cpuUs: u + system, mainBusyUs: performance.eventLoopUtilization().active * 1000 });
    } else if (message.type === 'close') {
      await server.close();
      process.exit(0);
    }
  })();
});
