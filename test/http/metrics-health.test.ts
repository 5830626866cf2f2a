// /metrics, /healthz, /readyz and the status page: figures that follow what happened.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import type { ConfmixServer } from '../../src/http/server.ts';
import { ALICE, basic, testServer } from './serverHelpers.ts';

let server: ConfmixServer;
const asAlice = { authorization: basic(ALICE) };
const call = (options: InjectOptions) => server.app.inject(options);

beforeAll(async () => {
  server = await testServer({}, 27800);
});
afterAll(async () => {
  await server.close();
});

/** One sample's value from the Prometheus text, or undefined. */
function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('metrics and health', () => {
  it('counts requests, joins and refusals, and reads conferences, members, shards and packets', async () => {
    const created = await call({ method: 'POST', url: '/v1/users/alice/conferences', headers: asAlice, payload: { from: '+1', 'max-members': 2 } });
    const url = created.headers.location as string;
    const rtp = { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: 9 };
    for (let i = 0; i < 3; i++) await call({ method: 'POST', url: `${url}/members`, headers: asAlice, payload: { rtp, mute: i === 0 } });
    await call({ method: 'GET', url: '/v1/users/alice/conferences/conf-nope', headers: asAlice });
    // Wait for the two legs to have sent some packets (comfort noise, one per tick each).
    const [member] = server.engine.getConference(url.split('/').pop()!).members;
    while ((await member.stats()).packetsOut < 5) await new Promise((resolve) => setImmediate(resolve));
    const text = (await call({ method: 'GET', url: '/metrics' })).body;
    expect(sample(text, 'confmix_http_requests_total', 'route="/v1/users/:userId/conferences",method="POST",status="201"')).toBe(1);
    expect(sample(text, 'confmix_http_requests_total', 'route="/v1/users/:userId/conferences/:conferenceId/members",method="POST",status="201"')).toBe(2);
    expect(sample(text, 'confmix_http_requests_total', 'route="/v1/users/:userId/conferences/:conferenceId",method="GET",status="404"')).toBe(1);
    expect(sample(text, 'confmix_member_joins_total', 'result="joined"')).toBe(2);
    expect(sample(text, 'confmix_member_joins_total', 'result="refused-full"')).toBe(1);
    expect(sample(text, 'confmix_conferences', 'state="created"')).toBe(1);
    expect(sample(text, 'confmix_members', 'state="muted"')).toBe(1);
    expect(sample(text, 'confmix_members', 'state="listening"')).toBe(1);
    expect(sample(text, 'confmix_shards')).toBe(1);
    expect(sample(text, 'confmix_shard_ticks', 'shard="0"')).toBeGreaterThan(0);
    // Lateness is a histogram: cumulative buckets that never fall, ending at the count.
    const ticked = sample(text, 'confmix_tick_lateness_seconds_count', 'shard="0"');
    expect(ticked).toBeGreaterThan(0);
    const buckets = [...text.matchAll(/^confmix_tick_lateness_seconds_bucket\{shard="0",le="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1], Number(m[2])] as const);
    expect(buckets.map(([le]) => le)).toEqual(['0.00005', '0.0001', '0.00025', '0.0005', '0.001', '0.002', '0.005', '0.01', '0.02', '0.05', '+Inf']);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i][1]).toBeGreaterThanOrEqual(buckets[i - 1][1]);
    expect(buckets.at(-1)![1]).toBe(ticked);
    expect(sample(text, 'confmix_tick_lateness_seconds_sum', 'shard="0"')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('# TYPE confmix_tick_lateness_seconds histogram');
    expect(sample(text, 'confmix_rtp_packets', 'direction="out"')).toBeGreaterThanOrEqual(5);
    expect(sample(text, 'confmix_rtp_packets_dropped', 'reason="stranger"')).toBe(0);
    expect(sample(text, 'confmix_codec_calls_per_tick', 'kind="encode"')).toBeGreaterThanOrEqual(1);
  });

  it('answers /healthz and /readyz, and serves the status page and its figures', async () => {
    expect(JSON.parse((await call({ method: 'GET', url: '/healthz' })).body)).toEqual({ status: 'ok' });
    const ready = await call({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    // The shard holds a conference, so it was watched ticking.
    expect(JSON.parse(ready.body).shards).toEqual([expect.objectContaining({ shard: 0, conferences: 1, ticks: expect.any(Number) })]);
    const page = await call({ method: 'GET', url: '/' });
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('href="/docs"');
    const status = JSON.parse((await call({ method: 'GET', url: '/status.json' })).body);
    expect(status).toMatchObject({ conferences: 1, members: 2, talking: 0 });
    expect(status.shards[0]).toMatchObject({ shard: 0, members: 2 });
  });
});
