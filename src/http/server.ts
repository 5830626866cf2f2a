// The embedded media server: Fastify over one engine. The Conference API under /v1/users,
// callbacks with fallback, live events (SSE and WebSocket), /metrics, /healthz and /readyz, the
// OpenAPI document and its page, the status page, and a graceful close.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import fastifyWebsocket from '@fastify/websocket';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createEngine, MAX_SDP_BYTES } from '../index.ts';
import type { Engine, EngineCallbackEvent, EngineShardStats } from '../index.ts';
import { CallbackDispatcher } from './callbacks.ts';
import { DEFAULT_SERVER_CONFIG, isLoopback } from './config.ts';
import type { ServerConfig, UserConfig } from './config.ts';
import { conferencePath, registerConferenceRoutes } from './conferenceRoutes.ts';
import { HttpError, toErrorAnswer } from './httpErrors.ts';
import { LiveEvents } from './liveEvents.ts';
import { ServerMetrics } from './metrics.ts';
import { conferenceSchema, errorSchema, eventsQuery, memberSchema, userParams } from './schemas.ts';
import { STATUS_PAGE } from './statusPage.ts';
import { registerSoftphoneRoutes } from './softphone.ts';
import { MediasoupBrowsers, registerMediasoupRoutes } from './mediasoupBrowsers.ts';
import { UserRegistry } from './users.ts';
import { SqliteDocumentStore } from '../store/SqliteDocumentStore.ts';
import { AccountRegistry } from './kazoo/accounts.ts';
import { registerKazooRoutes } from './kazoo/kazooRoutes.ts';
import type { ParticipantEvent } from './kazoo/liveConference.ts';
import { ClusterServer } from '../cluster/ClusterServer.ts';
import { registerRecordingRoutes } from './recordingRoutes.ts';

/** How long /readyz watches a shard with conferences for a tick (several 20 ms intervals). */
const READY_TICK_WINDOW_MS = 100;

/** How a server is made. */
export interface ServerOptions {
  /** Settings (defaults for what is left out). */
  config?: Partial<ServerConfig>;
  /** An engine to serve (default: one created from the settings, closed with the server). */
  engine?: Engine;
  /** A logger (default: pino at the configured level; pretty in a terminal). */
  logger?: Logger;
}

/** A running server. */
export interface ConfmixServer {
  /** The Fastify instance. */
  readonly app: FastifyInstance;
  /** The engine it serves. */
  readonly engine: Engine;
  /** Its settings. */
  readonly config: ServerConfig;
  /** The user created for a loopback server without configured users, if any. */
  readonly generatedUser: UserConfig | undefined;
  /** Its metrics. */
  readonly metrics: ServerMetrics;
  /** Callback events waiting or in flight. */
  readonly pendingCallbacks: number;
  /** Resolves once no callback is waiting or in flight (true), or after `timeoutMs` (false). */
  settleCallbacks(timeoutMs: number): Promise<boolean>;
  /** Starts listening; resolves with the base URL. */
  listen(): Promise<string>;
  /** Cluster mode, when the server joined one. */
  readonly cluster: ClusterServer | undefined;
  /** Takes no new conferences and resolves once this server's have ended (true) or after drainTimeoutMs (false). */
  drain(): Promise<boolean>;
  /**
   * Closes gracefully: stops accepting, completes every conference (reason engine-closed),
   * delivers the final callbacks for at most shutdownTimeoutMs, closes the engine. Idempotent.
   */
  close(): Promise<void>;
}

/** The default pino logger: JSON, or pretty lines when stdout is a terminal. */
export function createLogger(level: string): Logger {
  if (process.stdout.isTTY) return pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  return pino({ level });
}

/** Builds a server (not yet listening). Refuses a non-loopback address without users. */
export async function createServer(options: ServerOptions = {}): Promise<ConfmixServer> {
  const config: ServerConfig = { ...DEFAULT_SERVER_CONFIG, ...options.config };
  let generatedUser: UserConfig | undefined;
  let users = config.users;
  if (users.length === 0) {
    if (!isLoopback(config.host)) {
      throw new HttpError(500, 'ERR_CONFIG', `refusing to listen on ${config.host} without a user: configure one (--users, CONFMIX_USERS or the config file)`);
    }
    generatedUser = UserRegistry.generatedUser();
    users = [generatedUser];
  }
  const registry = new UserRegistry(users, config.limits);
  const log = options.logger ?? createLogger(config.logLevel);
  const engine =
    options.engine ??
    (await createEngine({
      shards: config.shards,
      portMin: config.rtpPortMin,
      portMax: config.rtpPortMax,
      ...(config.rtpAddress ? { rtpAddress: config.rtpAddress } : {}),
    }));
  const ownsEngine = options.engine === undefined;
  const recordingsDir = config.recordingsDir ?? (config.dataDir ? join(config.dataDir, 'recordings') : join(tmpdir(), 'confmix-recordings'));
  // mediasoup is loaded only when browsers are to use it.
  const browsers = config.browserTransport === 'mediasoup' ? await MediasoupBrowsers.create({ listenIp: config.rtpAddress ?? '127.0.0.1', log }) : undefined;
  const metrics = new ServerMetrics(engine);
  const dispatcher = new CallbackDispatcher({ queueLimit: config.callbackQueue, log: log.child({ component: 'callbacks' }), observer: metrics });
  const live = new LiveEvents();
  let publicUrl = config.publicUrl;

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    forceCloseConnections: true,
  });

  // Cluster mode: Redis, routing to the owning server, events over pub/sub (before any route).
  let cluster: ClusterServer | undefined;
  if (config.redis !== undefined) {
    try {
      cluster = await ClusterServer.start({
        settings: { redisUrl: config.redis, ...(config.nodeId ? { nodeId: config.nodeId } : {}), rtpAddress: config.rtpAddress ?? '127.0.0.1', heartbeatMs: config.heartbeatMs, heartbeatTtlMs: config.heartbeatMs * 3, membersPerServer: config.membersPerServer, connectTimeoutMs: 3000 },
        engine,
        app,
        log,
        trunkCodec: config.trunkCodec,
        hooks: {
          deliverLocal: (userId, conferenceId, payload) => live.publish(userId, conferenceId, payload),
          sendCallback: (conferenceId, callback, payload) => dispatcher.enqueue({ conferenceId, callback, payload }),
          uriBase: () => publicUrl ?? '',
          adopt: (userId, conference) => {
            const user = registry.users.find((u) => u.userId === userId);
            if (user) registry.own(user, conference);
          },
        },
      });
    } catch (error) {
      if (ownsEngine) await engine.close();
      throw error;
    }
  }

  // Every event of a conference: to the live listeners and to its callback URL.
  const onEvent = ({ conference, callback, payload }: EngineCallbackEvent): void => {
    const userId = conference.appData.userId;
    if (typeof userId !== 'string') return;
    const base = `${publicUrl ?? ''}${conferencePath(userId, conference.id)}`;
    const body: Record<string, unknown> = { ...payload, conferenceUri: base };
    if ('memberId' in payload && payload.memberId !== undefined) body.memberUri = `${base}/members/${payload.memberId}`;
    if (cluster) return cluster.engineEvent(conference, callback, body);
    live.publish(userId, conference.id, body);
    if (callback.callbackUrl !== undefined) dispatcher.enqueue({ conferenceId: conference.id, callback, payload: body });
  };
  engine.on('event', onEvent);

  app.addSchema(errorSchema);
  app.addSchema(conferenceSchema);
  app.addSchema(memberSchema);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'confmix Conference API', version: '1', description: 'The Conference API (Catapult v1 paths) served by confmix. Authenticate with HTTP Basic token:secret.' },
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' }, kazooToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' } } },
      security: [{ basic: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyWebsocket, { options: { maxPayload: 4096 } });

  // JSON everywhere, SDP where an SDP is taken; anything else is 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/sdp', { parseAs: 'string', bodyLimit: MAX_SDP_BYTES }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('application/trickle-ice-sdpfrag', { parseAs: 'string', bodyLimit: MAX_SDP_BYTES }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    let answer: ReturnType<typeof toErrorAnswer>;
    if (error.validation) {
      const first = error.validation[0];
      const field = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || (first?.params as { missingProperty?: string; additionalProperty?: string } | undefined)?.missingProperty || (first?.params as { additionalProperty?: string } | undefined)?.additionalProperty || error.validationContext;
      const stringForm = error.validation.some((e) => e.keyword === 'anyOf') ? ' (or its string form)' : '';
      answer = { statusCode: 400, body: { code: 'ERR_VALIDATION', message: `${error.validationContext ?? 'request'}${field && field !== error.validationContext ? `.${field}` : ''} ${first?.message ?? 'is invalid'}${stringForm}`, details: { field, in: error.validationContext } } };
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      answer = { statusCode: 413, body: { code: 'ERR_BODY_TOO_LARGE', message: error.message, details: { limit: config.bodyLimit } } };
    } else if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.statusCode === 415) {
      answer = { statusCode: 415, body: { code: 'ERR_CONTENT_TYPE', message: `${error.message}; send application/json (or application/sdp where an SDP is taken)`, details: {} } };
    } else if (error.code?.startsWith('FST_ERR_CTP_') || (error.statusCode === 400 && !(error instanceof HttpError))) {
      answer = { statusCode: 400, body: { code: 'ERR_BAD_BODY', message: error.message, details: {} } };
    } else {
      answer = toErrorAnswer(error);
    }
    if (answer.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    if (answer.statusCode === 401) reply.header('www-authenticate', 'Basic realm="confmix"');
    return reply.code(answer.statusCode).type('application/json').serializer(JSON.stringify).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, details: {} }),
  );

  // One log line and one count per request, with the ids it concerned. Hooks on every request
  // take a callback, not a promise: no promise to make and settle per request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    const params = request.params as Record<string, string | undefined>;
    request.log.info(
      { method: request.method, url: request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100, userId: params?.userId, conferenceId: params?.conferenceId, memberId: params?.memberId },
      'request',
    );
    done();
  });

  // Auth and per-user rate for the user API, before the body is parsed or validated.
  const authenticate = (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void => {
    try {
      const user = registry.authenticate(request.headers.authorization, (request.params as { userId?: string }).userId);
      if (!user.takeRequest()) throw new HttpError(429, 'ERR_RATE_LIMIT', `user ${user.userId} is over its ${user.limits.requestsPerSecond} requests per second`, { limit: 'requestsPerSecond', value: user.limits.requestsPerSecond });
      request.user = user;
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
  };

  await app.register(async (api) => {
    api.addHook('onRequest', authenticate);
    registerConferenceRoutes(api, { engine, users: registry, metrics });
    registerRecordingRoutes(api, { engine, users: registry, recordingsDir });
    if (browsers) registerMediasoupRoutes(api, { engine, users: registry, browsers });

    const sseStreams = new Set<() => void>();
    api.get('/v1/users/:userId/events', {
      schema: { summary: 'Live events as Server-Sent Events (the callback payloads)', tags: ['events'], params: userParams, querystring: eventsQuery },
    }, (request, reply) => {
      const user = request.user!;
      const { conferenceId } = request.query as { conferenceId?: string };
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      raw.write(': confmix events\n\n');
      let dropped = 0;
      const remove = live.add({
        userId: user.userId,
        ...(conferenceId ? { conferenceId } : {}),
        send: (json) => {
          if (raw.writableLength > 1 << 20) {
            dropped++;
            return false;
          }
          if (dropped > 0) {
            raw.write(`event: dropped\ndata: {"dropped":${dropped}}\n\n`);
            dropped = 0;
          }
          return raw.write(`data: ${json}\n\n`);
        },
      });
      const end = (): void => {
        remove();
        sseStreams.delete(end);
        if (!raw.writableEnded) raw.end();
      };
      sseStreams.add(end);
      request.raw.on('close', end);
    });
    api.addHook('preClose', async () => {
      for (const end of [...sseStreams]) end();
    });

    api.get('/v1/users/:userId/events/ws', {
      websocket: true,
      schema: { summary: 'Live events over a WebSocket (one JSON payload per message)', tags: ['events'], params: userParams, querystring: eventsQuery },
    }, (socket, request) => {
      const { conferenceId } = request.query as { conferenceId?: string };
      const remove = live.add({
        userId: request.user!.userId,
        ...(conferenceId ? { conferenceId } : {}),
        send: (json) => {
          if (socket.bufferedAmount > 1 << 20) return false;
          socket.send(json);
          return true;
        },
      });
      socket.on('close', remove);
    });
  });

  // Kazoo's conferences API: stored documents (SQLite, or Redis in a cluster) and the live conferences they start.
  const store = cluster?.store ?? new SqliteDocumentStore(config.dataDir);
  const kazoo = await registerKazooRoutes(app, { engine, store, accounts: new AccountRegistry(config.accounts), recordingsDir });
  cluster?.bridgeKazooEvents<ParticipantEvent>((listener) => kazoo.conferences.onEvent(listener), (event) => kazoo.conferences.publishRemote(event));

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));
  let closing = false;
  app.get('/readyz', {
    schema: { summary: 'Every shard answers with a running media clock', tags: ['health'], response: { 200: { type: 'object', additionalProperties: true }, 503: { $ref: 'Error#' } } },
  }, async () => {
    if (closing || engine.closed) throw new HttpError(503, 'ERR_NOT_READY', 'the server is closing');
    const answered = (): Promise<EngineShardStats[]> =>
      Promise.race([engine.shardStats(), new Promise<never>((_, reject) => setTimeout(() => reject(new HttpError(503, 'ERR_NOT_READY', 'a shard did not answer within 1 s')), 1000).unref())]);
    const before = await answered();
    if (before.length < config.shards && ownsEngine) throw new HttpError(503, 'ERR_NOT_READY', `${before.length} of ${config.shards} shards are running`);
    // A shard with members must be ticking: its tick count moves within a few intervals (an
    // empty conference sleeps, so members, not conferences, say a clock must run).
    let after = before;
    if (before.some((s) => s.members > 0)) {
      await new Promise((resolve) => setTimeout(resolve, READY_TICK_WINDOW_MS));
      after = await answered();
      for (const s of before) {
        const now = after.find((a) => a.shard === s.shard);
        if (s.members > 0 && now && now.members > 0 && now.ticks <= s.ticks) {
          throw new HttpError(503, 'ERR_NOT_READY', `shard ${s.shard} has ${s.members} members and did not tick in ${READY_TICK_WINDOW_MS} ms`);
        }
      }
    }
    return { status: 'ready', shards: after.map((s) => ({ shard: s.shard, ticks: s.ticks, conferences: s.conferences, realtime: s.realtime })) };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.text()));
  app.get('/status.json', { schema: { hide: true } }, async () => {
    const conferences = engine.closed ? [] : engine.conferences;
    const members = conferences.flatMap((c) => c.members.filter((m) => !m.closed));
    const shards = engine.closed ? [] : await engine.shardStats();
    return { conferences: conferences.length, members: members.length, talking: members.filter((m) => m.talking).length, shards, callbacksPending: dispatcher.pending, liveListeners: live.size };
  });
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(STATUS_PAGE));
  registerSoftphoneRoutes(app, { transport: config.browserTransport });

  let closed: Promise<void> | undefined;
  const server: ConfmixServer = {
    app,
    engine,
    config,
    generatedUser,
    metrics,
    get pendingCallbacks() {
      return dispatcher.pending;
    },
    settleCallbacks: (timeoutMs) => dispatcher.settle(timeoutMs),
    cluster,
    async drain() {
      if (!cluster) return true;
      return cluster.drain(config.drainTimeoutMs);
    },
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const bound = app.server.address();
      const port = typeof bound === 'object' && bound ? bound.port : config.port;
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      publicUrl ??= `http://${host}:${port}`;
      await cluster?.advertise(publicUrl);
      log.info({ url: `http://${host}:${port}`, publicUrl, shards: config.shards, users: registry.size }, 'confmix listening');
      return `http://${host}:${port}`;
    },
    close() {
      closed ??= (async () => {
        closing = true;
        await app.close();
        if (ownsEngine) await engine.close();
        else await Promise.all(engine.conferences.map((c) => c.update({ state: 'completed' }).catch(() => undefined)));
        browsers?.closeAll();
        kazoo.close();
        await kazoo.conferences.settle();
        await store.close();
        await cluster?.close();
        const settled = await dispatcher.settle(config.shutdownTimeoutMs);
        if (!settled) log.warn({ pending: dispatcher.pending }, 'shutdown: callbacks still pending after the wait');
        engine.off('event', onEvent);
        await dispatcher.close();
        log.info('confmix closed');
      })();
      return closed;
    },
  };
  return server;
}
