// Cluster mode of one server, as the HTTP server uses it: joins Redis, installs routing and the
// satellite routes, keeps the conference records current, carries events over pub/sub (every
// server's live listeners get every conference's events; the owner sends the callbacks), sends
// the final callbacks of a lost server's conferences, and drains.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { CallbackSettings, Conference, Engine } from '../index.ts';
import { RedisDocumentStore } from '../store/RedisDocumentStore.ts';
import { Cascade } from './Cascade.ts';
import type { TrunkCodec } from './Cascade.ts';
import { ClusterNode } from './ClusterNode.ts';
import type { ClusterSettings, ConferenceRecord } from './ClusterTypes.ts';
import { Forwarder, installClusterRouting, localConference } from './clusterRouting.ts';

/** What cluster mode needs from the HTTP server. */
export interface ClusterServerHooks {
  /** Hands an event to this server's live listeners (SSE, WebSocket). */
  deliverLocal(userId: string, conferenceId: string, payload: Record<string, unknown>): void;
  /** Queues a callback delivery. */
  sendCallback(conferenceId: string, callback: CallbackSettings, payload: Record<string, unknown>): void;
  /** The base URL of this server's resources (for conferenceUri). */
  uriBase(): string;
  /** Makes a conference created here by the cluster (a satellite) one of a user's. */
  adopt(userId: string, conference: Conference): void;
}

/** How cluster mode starts. */
export interface ClusterServerOptions {
  settings: Omit<ClusterSettings, 'httpUrl'>;
  engine: Engine;
  app: FastifyInstance;
  log: Logger;
  hooks: ClusterServerHooks;
  trunkCodec: TrunkCodec;
}

/** A server's cluster mode. */
export class ClusterServer {
  /** This server in the cluster. */
  readonly node: ClusterNode;
  /** The documents store every server shares. */
  readonly store: RedisDocumentStore;
  readonly #engine: Engine;
  readonly #hooks: ClusterServerHooks;
  readonly #cascade: Cascade;
  readonly #forwarder: Forwarder;
  readonly #log: Logger;
  readonly #writes = new Set<Promise<unknown>>();

  private constructor(node: ClusterNode, options: ClusterServerOptions) {
    this.node = node;
    this.store = new RedisDocumentStore(node.redis);
    this.#engine = options.engine;
    this.#hooks = options.hooks;
    this.#log = options.log;
    this.#forwarder = new Forwarder(node.id);
    this.#cascade = new Cascade({ cluster: node, engine: options.engine, forwarder: this.#forwarder, log: options.log, codec: options.trunkCodec, adopt: options.hooks.adopt });
  }

  /** Joins the cluster (ERR_REDIS_UNREACHABLE when Redis cannot be reached) and installs routing on `app`. */
  static async start(options: ClusterServerOptions): Promise<ClusterServer> {
    const node = await ClusterNode.join({ ...options.settings, httpUrl: '' }, options.engine, options.log.child({ component: 'cluster' }));
    const server = new ClusterServer(node, options);
    server.#install(options.app);
    return server;
  }

  #install(app: FastifyInstance): void {
    installClusterRouting(app, { cluster: this.node, engine: this.#engine, cascade: this.#cascade }, this.#forwarder);
    this.#cascade.registerRoutes(app);
    // A new conference's record is in Redis before its creation is answered.
    app.addHook('onSend', async (request, reply) => {
      if (reply.statusCode === 201 && this.#writes.size > 0) await Promise.all([...this.#writes]);
    });
    this.#engine.on('newconference', (conference) => {
      const { userId, cascadeOf, kazooAccountId, kazooConferenceId } = conference.appData;
      if (typeof userId === 'string' && cascadeOf === undefined) this.#track(this.node.recordConference(conference, userId));
      if (typeof kazooAccountId === 'string' && typeof kazooConferenceId === 'string') {
        this.#track(this.node.claimKazooLive(kazooAccountId, kazooConferenceId, this.node.id));
        conference.once('close', () => this.#track(this.node.releaseKazooLive(kazooAccountId, kazooConferenceId)));
      }
    });
    this.node.on('event', (event) => {
      this.#hooks.deliverLocal(event.userId, event.conferenceId, event.payload);
      if (!event.fromSatellite) return;
      const home = localConference(this.#engine, event.conferenceId);
      if (home && home.callbackSettings.callbackUrl !== undefined) this.#hooks.sendCallback(home.id, home.callbackSettings, event.payload);
    });
    this.node.on('lost', (record) => this.#completeLost(record));
    this.node.on('lostKazoo', (accountId, documentId) => this.#track(this.store.completeLiveOf(accountId, documentId, 'node-lost', Date.now())));
  }

  #track(write: Promise<unknown>): void {
    const tracked = write.catch((error: Error) => this.#log.warn({ err: error.message }, 'cluster record write failed')).finally(() => this.#writes.delete(tracked));
    this.#writes.add(tracked);
  }

  /** Starts the heartbeat, advertising `httpUrl` (once the server listens). */
  async advertise(httpUrl: string): Promise<void> {
    await this.node.advertise(httpUrl);
  }

  /** One event of a conference on this server: to every server's listeners, the callback from here. */
  engineEvent(conference: Conference, callback: CallbackSettings, body: Record<string, unknown>): void {
    const userId = conference.appData.userId;
    if (typeof userId !== 'string') return;
    const homeId = conference.appData.cascadeOf;
    if (typeof homeId === 'string') {
      // A satellite: its members' events belong to the home conference, whose server sends the callbacks.
      if (body.eventType === 'conference') return;
      if (body.eventType === 'conference-member' && body.state === 'completed') this.#cascade.memberLeft(conference);
      const payload: Record<string, unknown> = { ...body, conferenceId: homeId };
      for (const field of ['conferenceUri', 'memberUri'] as const) if (typeof payload[field] === 'string') payload[field] = (payload[field] as string).replace(conference.id, homeId);
      this.#publish(userId, homeId, payload, true);
      return;
    }
    this.#publish(userId, conference.id, body, false);
    if (callback.callbackUrl !== undefined) this.#hooks.sendCallback(conference.id, callback, body);
    this.#cascade.homeEvent(conference, body);
    if (body.eventType === 'conference-member' && body.state === 'completed') this.#cascade.memberLeft(conference);
    if (body.eventType === 'conference' || body.eventType === 'conference-member') this.#track(this.node.updateConference(conference));
  }

  #publish(userId: string, conferenceId: string, payload: Record<string, unknown>, fromSatellite: boolean): void {
    this.node.publish({ userId, conferenceId, payload, ...(fromSatellite ? { fromSatellite } : {}) }).catch(() => {
      // Redis is away: this server's own listeners still get it.
      this.#hooks.deliverLocal(userId, conferenceId, payload);
    });
  }

  // A lost server's conference: its final event, as the owner would have sent it, from here.
  #completeLost(record: ConferenceRecord): void {
    const conferenceUri = `${this.#hooks.uriBase()}/v1/users/${record.userId}/conferences/${record.id}`;
    const payload: Record<string, unknown> = {
      eventType: 'conference',
      conferenceId: record.id,
      conferenceUri,
      status: 'completed',
      createdTime: record.json.createdTime,
      completedTime: record.json.completedTime,
      reason: 'node-lost',
      ...(record.json.tag !== undefined ? { tag: record.json.tag } : {}),
    };
    this.#publish(record.userId, record.id, payload, false);
    if (record.callback.callbackUrl !== undefined) this.#hooks.sendCallback(record.id, record.callback, payload);
  }

  /**
   * Carries Kazoo participant events between servers: `subscribe` gets this server's, `deliver`
   * hands the others' to this server's listeners.
   */
  bridgeKazooEvents<E extends object>(subscribe: (listener: (event: E) => void) => void, deliver: (event: E) => void): void {
    const remote = new WeakSet<object>();
    subscribe((event) => {
      if (!remote.has(event)) this.node.publishKazoo(event as Record<string, unknown>).catch(() => undefined);
    });
    this.node.on('kazooEvent', (event) => {
      remote.add(event);
      deliver(event as E);
    });
  }

  /** Takes no new conferences; resolves once this server's conferences ended (true) or after `timeoutMs` (false). */
  async drain(timeoutMs: number): Promise<boolean> {
    await this.node.drain();
    const deadline = Date.now() + timeoutMs;
    while (this.#engine.conferences.length > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  /** Leaves the cluster. */
  async close(): Promise<void> {
    await Promise.all([...this.#writes]);
    await this.node.close();
    await this.#forwarder.close();
  }
}
