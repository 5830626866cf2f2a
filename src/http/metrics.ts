// Prometheus metrics (prom-client). Counters are bumped as things happen; the engine's live
// figures (conferences, members, shard clocks, RTP packets) are read when /metrics is scraped.
import client from 'prom-client';
import type { Engine, EngineShardStats, Member, RtpLegStats, TickLateness } from '../index.ts';
import type { DeliveryResult } from './callbacks.ts';

const LATENESS_METRIC = 'confmix_tick_lateness_seconds';

/** Every metric the server exports. */
export class ServerMetrics {
  /** The registry /metrics serializes. */
  readonly registry = new client.Registry();
  /** HTTP requests by route, method and status. */
  readonly httpRequests: client.Counter<'route' | 'method' | 'status'>;
  /** Joins, by result. */
  readonly joins: client.Counter<'result'>;
  /** Callback deliveries by result. */
  readonly callbackDeliveries: client.Counter<'result'>;
  /** Callback delivery latency. */
  readonly callbackLatency: client.Histogram<'result'>;
  readonly #engine: Engine;
  readonly #refresh: () => Promise<void>;

  constructor(engine: Engine) {
    this.#engine = engine;
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, prefix: 'confmix_process_' });
    this.httpRequests = new client.Counter({ name: 'confmix_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'method', 'status'], registers });
    this.joins = new client.Counter({ name: 'confmix_member_joins_total', help: 'Member joins by result (joined, refused-locked, refused-full, refused-limit, failed)', labelNames: ['result'], registers });
    this.callbackDeliveries = new client.Counter({ name: 'confmix_callback_deliveries_total', help: 'Callback events by result (delivered, fallback, failed, dropped)', labelNames: ['result'], registers });
    this.callbackLatency = new client.Histogram({
      name: 'confmix_callback_delivery_seconds',
      help: 'Time from the start of a delivery to its end (callback and fallback together)',
      labelNames: ['result'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 20],
      registers,
    });
    const gauge = (name: string, help: string, labelNames: string[] = []): client.Gauge => new client.Gauge({ name, help, labelNames, registers });
    const conferences = gauge('confmix_conferences', 'Conferences by state (completed: those still kept for lookup)', ['state']);
    const members = gauge('confmix_members', 'Active members by state (talking, muted, held, deaf, listening)', ['state']);
    const shards = gauge('confmix_shards', 'Shards running');
    const ticks = gauge('confmix_shard_ticks', "Ticks run by each shard's media thread", ['shard']);
    const overruns = gauge('confmix_shard_ticks_overrun', 'Ticks that started late enough to run back to back', ['shard']);
    const cpu = gauge('confmix_shard_tick_cpu_seconds', 'CPU time spent in ticks', ['shard']);
    const load = gauge('confmix_shard_load', 'Media thread busy share of wall time (last second)', ['shard']);
    // Lateness is histogrammed natively (the media thread never calls out); it is copied here
    // as a Prometheus histogram when scraped.
    let latenessByShard: EngineShardStats[] = [];
    const latenessMetric = { name: LATENESS_METRIC, help: 'Tick lateness per shard (tick start minus its deadline) since the shard started', type: 'histogram', aggregator: 'sum' };
    this.registry.registerMetric({
      ...latenessMetric,
      get: () => ({
        ...latenessMetric,
        values: latenessByShard.flatMap((s) => latenessSamples(String(s.shard), s.lateness)),
      }),
      reset: () => undefined,
    } as unknown as client.Metric);
    const perTick = gauge('confmix_codec_calls_per_tick', 'Encodes and decodes in the last tick, summed over conferences', ['kind']);
    const packets = gauge('confmix_rtp_packets', 'RTP datagrams of active legs, in and out', ['direction']);
    const dropped = gauge('confmix_rtp_packets_dropped', 'RTP datagrams of active legs dropped, by reason', ['reason']);
    // The engine's figures are read once per scrape, before the registry is serialized.
    this.#refresh = async () => {
      latenessByShard = [];
      for (const g of [conferences, members, shards, ticks, overruns, cpu, load, perTick, packets, dropped]) g.reset();
      if (engine.closed) return;
      const active = engine.conferences;
      conferences.set({ state: 'created' }, active.length);
      const live = this.#activeMembers();
      const counts = { talking: 0, muted: 0, held: 0, deaf: 0, listening: 0 };
      for (const member of live) {
        if (member.talking) counts.talking++;
        if (member.mute) counts.muted++;
        if (member.hold) counts.held++;
        if (member.deaf) counts.deaf++;
        if (!member.talking && !member.mute && !member.hold) counts.listening++;
      }
      for (const [state, n] of Object.entries(counts)) members.set({ state }, n);
      const stats = await engine.shardStats().catch(() => []);
      latenessByShard = stats;
      shards.set(stats.length);
      for (const s of stats) {
        const shard = String(s.shard);
        ticks.set({ shard }, s.ticks);
        overruns.set({ shard }, s.overruns);
        cpu.set({ shard }, s.tickCpuMs / 1000);
        load.set({ shard }, s.load);
      }
      const clocks = await Promise.all(active.map((c) => c.clockStats().catch(() => null)));
      perTick.set({ kind: 'encode' }, clocks.reduce((n, c) => n + (c?.encodesPerTick ?? 0), 0));
      perTick.set({ kind: 'decode' }, clocks.reduce((n, c) => n + (c?.decodesPerTick ?? 0), 0));
      const legs = await this.#rtpStats(live);
      packets.set({ direction: 'in' }, legs.reduce((n, l) => n + l.packetsIn, 0));
      packets.set({ direction: 'out' }, legs.reduce((n, l) => n + l.packetsOut, 0));
      dropped.set({ reason: 'stranger' }, legs.reduce((n, l) => n + l.droppedStranger, 0));
      dropped.set({ reason: 'invalid' }, legs.reduce((n, l) => n + l.droppedInvalid, 0));
    };
  }

  /** Counts one callback delivery. */
  delivery(result: DeliveryResult, seconds: number): void {
    this.callbackDeliveries.inc({ result });
    if (result !== 'dropped') this.callbackLatency.observe({ result }, seconds);
  }

  /** The Prometheus text. */
  async text(): Promise<string> {
    await this.#refresh();
    return this.registry.metrics();
  }

  #activeMembers(): Member[] {
    if (this.#engine.closed) return [];
    return this.#engine.conferences.flatMap((c) => c.members.filter((m) => !m.closed));
  }

  async #rtpStats(members: Member[]): Promise<RtpLegStats[]> {
    const rtp = members.filter((m) => m.leg.kind === 'rtp');
    return (await Promise.all(rtp.map((m) => m.stats().catch(() => null)))).filter((s): s is RtpLegStats => s !== null);
  }
}

/** One shard's lateness as Prometheus histogram lines: cumulative buckets, +Inf, sum and count. */
function latenessSamples(shard: string, lateness: TickLateness): Array<{ metricName: string; labels: Record<string, string>; value: number }> {
  const name = LATENESS_METRIC;
  return [
    ...lateness.buckets.map(([edgeMs, count]) => ({ metricName: `${name}_bucket`, labels: { shard, le: String(edgeMs / 1000) }, value: count })),
    { metricName: `${name}_bucket`, labels: { shard, le: '+Inf' }, value: lateness.count },
    { metricName: `${name}_sum`, labels: { shard }, value: lateness.sumMs / 1000 },
    { metricName: `${name}_count`, labels: { shard }, value: lateness.count },
  ];
}
