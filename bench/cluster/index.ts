// The cluster benchmark: `npm run bench -- cluster [--rounds N]`. Three servers in network
// namespaces (as the cluster test makes them; needs root), Redis from redis-server. It measures:
//   - the latency a trunk adds: a tone starts at one member; the time until a member on the same
//     server hears it, against a member on a satellite (same listener peer, same clock), p50/p99;
//   - a trunk's CPU: the home's and satellite's process CPU with a cascaded pair of members,
//     minus the home's with the same pair on one server, as % of one core;
//   - the routing overhead: a GET answered by the owner against the same GET through another server.
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { Bench, BenchReport } from '../run.ts';
import { BridgePeer, canMakeNamespaces, ClusterLab, LAB_AUTH } from '../../test/cluster/clusterLab.ts';
import type { LabServer } from '../../test/cluster/clusterLab.ts';

const idOf = (location: string): string => location.slice(location.lastIndexOf('/') + 1);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function api(server: LabServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; json: any }> {
  const answer = await request(`${server.url}/v1/users/alice${path}`, { method: method as 'GET', headers: { authorization: LAB_AUTH, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await answer.body.text();
  return { status: answer.statusCode, headers: answer.headers as Record<string, string>, json: text ? JSON.parse(text) : undefined };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// When `listener` first hears a loud packet after now, ms.
function onsetAt(listener: BridgePeer): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: Buffer): void => {
      if ((message[1] & 0x7f) !== 0) return;
      // PCMU bytes of large magnitude have small low seven bits.
      let loud = 0;
      for (let i = 12; i < message.length; i++) if ((message[i] & 0x7f) < 0x30) loud++;
      if (loud > 40) {
        listener.socket.off('message', onMessage);
        resolve(performance.now());
      }
    };
    listener.socket.on('message', onMessage);
  });
}

async function ownerOf(lab: ClusterLab, conferenceId: string): Promise<LabServer> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(lab.redisUrl);
  try {
    const record = JSON.parse((await redis.get(`confmix:conference:${conferenceId}`)) ?? '{}') as { owner?: string };
    return lab.servers.find((s) => s.id === record.owner)!;
  } finally {
    redis.disconnect();
  }
}

export const clusterBench: Bench = {
  description: 'three servers in network namespaces: trunk added latency and CPU, forwarded-request overhead',
  async run(args: string[]): Promise<BenchReport> {
    const at = args.indexOf('--rounds');
    const rounds = at >= 0 ? Number(args[at + 1]) : 40;
    if (!canMakeNamespaces()) throw new Error('the cluster benchmark needs root with ip and redis-server');
    const lab = new ClusterLab();
    const peers: BridgePeer[] = [];
    try {
      await lab.setUp(3);
      await Promise.all([0, 1, 2].map((i) => lab.startServer(i)));
      const conferenceId = idOf((await api(lab.servers[0], 'POST', '/conferences', {})).headers.location);
      const home = await ownerOf(lab, conferenceId);
      const satellite = lab.servers.find((s) => s.id !== home.id)!;
      const peer = async (): Promise<BridgePeer> => {
        const p = await BridgePeer.create(lab.hostAddress);
        peers.push(p);
        return p;
      };
      const join = async (p: BridgePeer, node?: string): Promise<number> => {
        const answer = await api(home, 'POST', `/conferences/${conferenceId}/members`, { rtp: { codec: 'pcmu', remoteAddress: lab.hostAddress, remotePort: p.port } }, node ? { 'x-confmix-node': node } : {});
        return answer.json.leg.localPort as number;
      };
      const talker = await peer();
      const local = await peer();
      const remote = await peer();
      const talkerPort = await join(talker);
      local.send(home.address, await join(local), 440, 0);
      remote.send(satellite.address, await join(remote, satellite.id), 440, 0);

      // Latency: silence, then a tone; both listeners time its onset.
      const added: number[] = [];
      for (let i = 0; i < rounds; i++) {
        talker.send(home.address, talkerPort, 440, 0);
        await sleep(700);
        const localAt = onsetAt(local);
        const remoteAt = onsetAt(remote);
        talker.send(home.address, talkerPort, 440, 12000);
        const [l, r] = await Promise.all([localAt, remoteAt]);
        added.push(r - l);
      }
      talker.send(home.address, talkerPort, 440, 0);

      // CPU over a window: the cascaded pair (home + satellite), then the same pair on home only.
      const windowS = 4;
      const measure = async (servers: LabServer[]): Promise<number> => {
        const before = servers.map((s) => cpuSeconds(s.process.pid!));
        await sleep(windowS * 1000);
        return servers.reduce((n, s, i) => n + cpuSeconds(s.process.pid!) - before[i], 0) / windowS;
      };
      talker.send(home.address, talkerPort, 440, 8000);
      const cascaded = await measure([home, satellite]);
      // The same pair with both members on home: everyone else leaves, two join home's conference.
      await api(home, 'POST', `/conferences/${conferenceId}`, { state: 'completed' });
      talker.send(home.address, talkerPort, 440, 0);
      const c2 = idOf((await api(home, 'POST', '/conferences', {})).headers.location);
      const c2Home = await ownerOf(lab, c2);
      const a = await peer();
      const b = await peer();
      const pa = (await api(home, 'POST', `/conferences/${c2}/members`, { rtp: { codec: 'pcmu', remoteAddress: lab.hostAddress, remotePort: a.port } })).json.leg.localPort as number;
      const pb = (await api(home, 'POST', `/conferences/${c2}/members`, { rtp: { codec: 'pcmu', remoteAddress: lab.hostAddress, remotePort: b.port } })).json.leg.localPort as number;
      a.send(c2Home.address, pa, 440, 8000);
      b.send(c2Home.address, pb, 440, 0);
      const alone = await measure([home, satellite]);
      const trunkCpuPctPerPair = Math.max(0, (cascaded - alone) * 100);

      // Routing: the same GET, at the owner and through another server.
      const timeGets = async (server: LabServer, n: number): Promise<number[]> => {
        const out: number[] = [];
        for (let i = 0; i < n; i++) {
          const started = performance.now();
          await api(server, 'GET', `/conferences/${c2}`);
          out.push(performance.now() - started);
        }
        return out;
      };
      const via = lab.servers.find((s) => s.id !== c2Home.id)!;
      await timeGets(c2Home, 50);
      await timeGets(via, 50);
      const direct = await timeGets(c2Home, 400);
      const forwarded = await timeGets(via, 400);
      const forwardedRequestOverheadMs = percentile(forwarded, 50) - percentile(direct, 50);

      const result = {
        servers: 3,
        trunkCpuPctPerPair: Number(trunkCpuPctPerPair.toFixed(2)),
        trunkAddedLatencyP50Ms: Number(percentile(added, 50).toFixed(2)),
        trunkAddedLatencyP99Ms: Number(percentile(added, 99).toFixed(2)),
        forwardedRequestOverheadMs: Number(forwardedRequestOverheadMs.toFixed(3)),
      };
      console.log('| servers | trunk CPU % per pair | trunk added latency p50 ms | p99 ms | forwarded request overhead ms (p50) | direct GET p50 ms |');
      console.log('| --- | --- | --- | --- | --- | --- |');
      console.log(`| 3 | ${result.trunkCpuPctPerPair} | ${result.trunkAddedLatencyP50Ms} | ${result.trunkAddedLatencyP99Ms} | ${result.forwardedRequestOverheadMs} | ${percentile(direct, 50).toFixed(3)} |`);
      return { bench: 'cluster', results: [result] };
    } finally {
      for (const p of peers) p.close();
      await lab.close();
    }
  },
};
