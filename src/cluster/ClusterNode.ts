// One server's place in a cluster: its connection to Redis, its heartbeat (an expiring key with
// its load), the other servers as Redis shows them, placement on the least-loaded live server,
// the conference records, the event bus (pub/sub) and the watch for lost servers.
//
// Redis keys (all under `confmix:`):
//   nodes                      hash id -> {id, httpUrl, rtpAddress}
//   node:<id>:alive            the heartbeat: the load as JSON, with a TTL
//   node:<id>:conferences      set of the conference ids a server is home of
//   conference:<id>            the ConferenceRecord as JSON
//   user:<userId>:conferences  sorted set of a user's conference ids by creation time
//   member:<id>                a cascaded member's MemberLocation
//   kazoo-live:<acc>/<doc>     the server running a Kazoo document's live conference
//   reap:<id>                  the lock a survivor takes to complete a lost server's conferences
//   secret                     the secret of server-to-server routes
//   events, kazoo-events       the pub/sub channels of every conference's events
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfmixError, ErrorCode } from '../index.ts';
import type { Conference, Engine } from '../index.ts';
import type { ClusterEvent, ClusterNodeInfo, ClusterSettings, ConferenceRecord, MemberLocation, NodeLoad } from './ClusterTypes.ts';

/** The prefix of every key. */
export const KEY_PREFIX = 'confmix:';

const key = (...parts: string[]): string => KEY_PREFIX + parts.join(':');

/** Events of a cluster node. */
export interface ClusterNodeEvents {
  /** An event of any server's conference, from the bus. */
  event: [ClusterEvent];
  /** A lost server's conference this server completed (send its final callback). */
  lost: [ConferenceRecord];
  /** A lost server's Kazoo live conference (complete its live record). */
  lostKazoo: [accountId: string, documentId: string];
  /** A Kazoo participant event another server raised. */
  kazooEvent: [Record<string, unknown>];
}

/** This server in the cluster. */
export class ClusterNode extends EventEmitter<ClusterNodeEvents> {
  /** This server's id. */
  readonly id: string;
  /** Its settings. */
  readonly settings: ClusterSettings;
  /** The command connection. */
  readonly redis: Redis;
  /** The secret servers of this cluster show each other on server-to-server routes (kept in Redis). */
  secret = '';
  readonly #subscriber: Redis;
  readonly #engine: Engine;
  readonly #log: Logger;
  #draining = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #beating: Promise<void> | undefined;

  private constructor(settings: ClusterSettings, engine: Engine, log: Logger, redis: Redis, subscriber: Redis) {
    super();
    this.settings = settings;
    this.id = settings.nodeId ?? `node-${randomBytes(6).toString('hex')}`;
    this.redis = redis;
    this.#subscriber = subscriber;
    this.#engine = engine;
    this.#log = log;
  }

  /** Connects to Redis (a clear ERR_REDIS_UNREACHABLE when it cannot within connectTimeoutMs) and subscribes to the events. */
  static async join(settings: ClusterSettings, engine: Engine, log: Logger): Promise<ClusterNode> {
    const redis = await connect(settings);
    let subscriber: Redis;
    try {
      subscriber = await connect(settings);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    const node = new ClusterNode(settings, engine, log, redis, subscriber);
    await node.#start();
    return node;
  }

  async #start(): Promise<void> {
    for (const connection of [this.redis, this.#subscriber]) {
      connection.on('error', (error: Error) => this.#log.warn({ err: error.message }, 'redis connection error'));
      connection.on('ready', () => this.#log.info('redis connected'));
    }
    this.#subscriber.on('message', (channel: string, message: string) => {
      try {
        if (channel === key('kazoo-events')) {
          const { origin, event } = JSON.parse(message) as { origin: string; event: Record<string, unknown> };
          if (origin !== this.id) this.emit('kazooEvent', event);
          return;
        }
        this.emit('event', JSON.parse(message) as ClusterEvent);
      } catch (error) {
        this.#log.warn({ err: (error as Error).message }, 'cluster event not understood');
      }
    });
    await this.redis.set(key('secret'), randomBytes(24).toString('base64url'), 'NX');
    this.secret = (await this.redis.get(key('secret'))) ?? '';
    await this.#subscriber.subscribe(key('events'), key('kazoo-events'));
  }

  /** Registers this server at `httpUrl` and starts its heartbeat and the watch for lost servers. */
  async advertise(httpUrl: string): Promise<void> {
    this.settings.httpUrl = httpUrl;
    await this.redis.hset(key('nodes'), this.id, this.#info());
    await this.#heartbeat();
    this.#timer = setInterval(() => {
      this.#beating ??= this.#tick().finally(() => (this.#beating = undefined));
    }, this.settings.heartbeatMs);
  }

  #info(): string {
    return JSON.stringify({ id: this.id, httpUrl: this.settings.httpUrl, rtpAddress: this.settings.rtpAddress });
  }

  /** True once drain() was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Takes no new conferences from now on (placement skips this server). */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.#heartbeat().catch(() => undefined);
  }

  /** This server's load now. */
  async load(): Promise<NodeLoad> {
    const conferences = this.#engine.conferences;
    // A busy shard must not stop the heartbeat: its figures are left out after half a period.
    const stats = await Promise.race([this.#engine.shardStats().catch(() => []), new Promise<[]>((resolve) => setTimeout(() => resolve([]), this.settings.heartbeatMs / 2).unref())]);
    return {
      members: conferences.reduce((n, c) => n + c.activeMembers, 0),
      conferences: conferences.length,
      shardCpuMs: stats.length === 0 ? 0 : stats.reduce((n, s) => n + s.tickCpuMs, 0) / stats.length,
      latenessP99Ms: stats.reduce((n, s) => Math.max(n, s.lateness.p99Ms), 0),
      draining: this.#draining,
    };
  }

  async #heartbeat(): Promise<void> {
    const load = await this.load();
    await this.redis.set(key('node', this.id, 'alive'), JSON.stringify(load), 'PX', this.settings.heartbeatTtlMs);
    // Back after Redis lost us (a restart or a flush): register again.
    await this.redis.hsetnx(key('nodes'), this.id, this.#info());
  }

  async #tick(): Promise<void> {
    try {
      await this.#heartbeat();
      await this.#reapLost();
    } catch (error) {
      this.#log.warn({ err: (error as Error).message }, 'heartbeat failed; media goes on, retrying');
    }
  }

  /** Every server Redis knows, live or not. */
  async nodes(): Promise<ClusterNodeInfo[]> {
    const all = await this.redis.hgetall(key('nodes'));
    const ids = Object.keys(all).sort();
    if (ids.length === 0) return [];
    const loads = await this.redis.mget(ids.map((id) => key('node', id, 'alive')));
    return ids.map((id, i) => {
      const info = JSON.parse(all[id]) as Omit<ClusterNodeInfo, 'alive'>;
      const load = loads[i];
      return { ...info, alive: load !== null, ...(load !== null ? { load: JSON.parse(load) as NodeLoad } : {}) };
    });
  }

  /** One server, if Redis knows it. */
  async node(id: string): Promise<ClusterNodeInfo | undefined> {
    return (await this.nodes()).find((n) => n.id === id);
  }

  /** The least-loaded live server taking conferences (fewest members, then conferences, then tick CPU), excluding `except`. */
  async place(except: string[] = []): Promise<ClusterNodeInfo> {
    const candidates = (await this.nodes()).filter((n) => n.alive && n.load && !n.load.draining && !except.includes(n.id));
    if (candidates.length === 0) throw new ConfmixError(ErrorCode.clusterUnavailable, 'no live server in the cluster takes new conferences');
    candidates.sort((a, b) => a.load!.members - b.load!.members || a.load!.conferences - b.load!.conferences || a.load!.shardCpuMs - b.load!.shardCpuMs || (a.id === this.id ? -1 : b.id === this.id ? 1 : 0));
    return candidates[0];
  }

  /** Records a conference this server is home of (and keeps its record current). */
  async recordConference(conference: Conference, userId: string): Promise<void> {
    const record: ConferenceRecord = { id: conference.id, userId, owner: this.id, createdMs: Date.now(), json: conference.toJSON(), callback: conference.callbackSettings };
    await this.redis
      .multi()
      .set(key('conference', conference.id), JSON.stringify(record))
      .sadd(key('node', this.id, 'conferences'), conference.id)
      .zadd(key('user', userId, 'conferences'), record.createdMs, conference.id)
      .exec();
  }

  /** Writes a conference's current JSON into its record. */
  async updateConference(conference: Conference): Promise<void> {
    const record = await this.conference(conference.id);
    if (!record) return;
    record.json = conference.toJSON();
    record.callback = conference.callbackSettings;
    const write = this.redis.multi().set(key('conference', conference.id), JSON.stringify(record));
    if (conference.closed) write.srem(key('node', this.id, 'conferences'), conference.id);
    await write.exec();
  }

  /** Adds a satellite to a conference's record. */
  async addSatellite(conferenceId: string, nodeId: string, satelliteId: string): Promise<void> {
    const record = await this.conference(conferenceId);
    if (!record) return;
    record.satellites = { ...record.satellites, [nodeId]: satelliteId };
    await this.redis.set(key('conference', conferenceId), JSON.stringify(record));
  }

  /** Removes a satellite from a conference's record. */
  async removeSatellite(conferenceId: string, nodeId: string): Promise<void> {
    const record = await this.conference(conferenceId);
    if (!record?.satellites) return;
    delete record.satellites[nodeId];
    await this.redis.set(key('conference', conferenceId), JSON.stringify(record));
  }

  /** A conference's record. */
  async conference(id: string): Promise<ConferenceRecord | undefined> {
    const json = await this.redis.get(key('conference', id));
    return json === null ? undefined : (JSON.parse(json) as ConferenceRecord);
  }

  /** A user's conference records, newest first. */
  async userConferences(userId: string): Promise<ConferenceRecord[]> {
    const ids = await this.redis.zrevrange(key('user', userId, 'conferences'), 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => key('conference', id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as ConferenceRecord);
  }

  /** Records where a cascaded member lives. */
  async recordMember(memberId: string, location: MemberLocation): Promise<void> {
    await this.redis.set(key('member', memberId), JSON.stringify(location));
  }

  /** Where a cascaded member lives, if it is one. */
  async member(memberId: string): Promise<MemberLocation | undefined> {
    const json = await this.redis.get(key('member', memberId));
    return json === null ? undefined : (JSON.parse(json) as MemberLocation);
  }

  /** Claims a Kazoo document's live conference for `nodeId` unless a live server holds it; returns the holder. */
  async claimKazooLive(accountId: string, documentId: string, nodeId: string): Promise<string> {
    const k = key('kazoo-live', `${accountId}/${documentId}`);
    for (;;) {
      const holder = await this.redis.get(k);
      if (holder !== null && (holder === nodeId || (await this.redis.exists(key('node', holder, 'alive'))) === 1)) return holder;
      if (holder === null ? (await this.redis.set(k, nodeId, 'NX')) === 'OK' : (await this.redis.eval(SWAP, 1, k, holder, nodeId)) === 1) return nodeId;
    }
  }

  /** The server running a Kazoo document's live conference, if a live one does. */
  async kazooLive(accountId: string, documentId: string): Promise<string | undefined> {
    const holder = await this.redis.get(key('kazoo-live', `${accountId}/${documentId}`));
    if (holder === null) return undefined;
    return holder === this.id || (await this.redis.exists(key('node', holder, 'alive'))) === 1 ? holder : undefined;
  }

  /** Lets go of a Kazoo document's live conference (it completed here). */
  async releaseKazooLive(accountId: string, documentId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, key('kazoo-live', `${accountId}/${documentId}`), this.id);
  }

  /** Sends an event to every server's listeners. */
  async publish(event: Omit<ClusterEvent, 'origin'>): Promise<void> {
    await this.redis.publish(key('events'), JSON.stringify({ ...event, origin: this.id }));
  }

  /** Sends a Kazoo participant event to the other servers' listeners. */
  async publishKazoo(event: Record<string, unknown>): Promise<void> {
    await this.redis.publish(key('kazoo-events'), JSON.stringify({ origin: this.id, event }));
  }

  /** True when a server's heartbeat lives. */
  async isAlive(nodeId: string): Promise<boolean> {
    return nodeId === this.id || (await this.redis.exists(key('node', nodeId, 'alive'))) === 1;
  }

  // A server whose heartbeat expired: one survivor (the one holding its reap lock) completes its
  // conferences with reason node-lost and forgets it.
  async #reapLost(): Promise<void> {
    for (const node of await this.nodes()) {
      if (node.alive || node.id === this.id) continue;
      if ((await this.redis.set(key('reap', node.id), this.id, 'PX', 60_000, 'NX')) !== 'OK') continue;
      try {
        await this.#reap(node.id);
      } catch (error) {
        // Let the next tick (here or on another survivor) try again.
        await this.redis.eval(RELEASE, 1, key('reap', node.id), this.id).catch(() => undefined);
        throw error;
      }
    }
  }

  // Completes a lost server's conferences (reason node-lost), releases its Kazoo live conferences
  // and forgets it.
  async #reap(nodeId: string): Promise<void> {
    const ids = await this.redis.smembers(key('node', nodeId, 'conferences'));
    const completedTime = new Date().toISOString();
    for (const id of ids) {
      const record = await this.conference(id);
      if (!record || record.json.state === 'completed') continue;
      record.json = { ...record.json, state: 'completed', completedTime, activeMembers: 0 };
      record.completedReason = 'node-lost';
      await this.redis.set(key('conference', id), JSON.stringify(record));
      this.#log.warn({ conferenceId: id, lostNode: nodeId }, 'conference completed: its server was lost');
      this.emit('lost', record);
    }
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', key('kazoo-live', '*'), 'COUNT', 500);
      cursor = next;
      for (const k of keys) {
        if ((await this.redis.eval(RELEASE, 1, k, nodeId)) !== 1) continue;
        const [accountId, documentId] = k.slice(key('kazoo-live', '').length).split('/');
        this.emit('lostKazoo', accountId, documentId);
      }
    } while (cursor !== '0');
    await this.redis.multi().del(key('node', nodeId, 'conferences')).hdel(key('nodes'), nodeId).exec();
  }

  /** Stops the heartbeat and leaves the cluster (a clean exit: no survivor completes anything). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#beating;
    try {
      await this.redis.multi().del(key('node', this.id, 'alive')).hdel(key('nodes'), this.id).exec();
    } catch {
      // Redis is gone: our heartbeat expires by itself.
    }
    this.#subscriber.disconnect();
    this.redis.disconnect();
  }
}

// Replace a key's value only if it is still `expected`.
const SWAP = "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0";
const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

async function connect(settings: ClusterSettings): Promise<Redis> {
  const redis = new Redis(settings.redisUrl, {
    lazyConnect: true,
    connectTimeout: settings.connectTimeoutMs,
    // Once running, reconnect for ever (media does not wait for Redis); a command fails fast meanwhile.
    retryStrategy: (times: number) => Math.min(100 * times, 1000),
    maxRetriesPerRequest: 1,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new ConfmixError(ErrorCode.redisUnreachable, `cannot reach Redis at ${redactUrl(settings.redisUrl)}: ${(error as Error).message}`);
  }
  return redis;
}

/** A Redis URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
