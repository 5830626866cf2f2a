// Browsers through mediasoup (`--browser-transport mediasoup`): each conference gets a router
// and a bridge; a browser (mediasoup-client) gets a send and a receive WebRtcTransport (ICE,
// DTLS and SRTP in mediasoup's C++ worker), produces its microphone, joins through the bridge and
// consumes its own mix producer. Keys come over this signalling, not RTP: a stock mediasoup worker
// forwards a producer's media codec only, so RFC 4733 events would not reach the mixer everywhere.
// A worker that dies is replaced; its conferences' mediasoup members leave ('mediasoup-closed').
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { types as MediasoupTypes } from 'mediasoup';
import { InvalidArgumentError, MEDIASOUP_PACKAGE, loadMediasoup } from '../index.ts';
import type { Conference, Engine, Member, MediasoupBridge, MemberOptions, SfuProducer, SfuRouter } from '../index.ts';
import { HttpError } from './httpErrors.ts';
import { conferencePath } from './conferenceRoutes.ts';
import { conferenceParams, empty, errors } from './schemas.ts';
import type { UserRegistry } from './users.ts';

type Bridge = MediasoupBridge<Member, Omit<MemberOptions, 'leg'>>;

/** The router's codecs: Opus only (the bridge's codec; browsers send it). */
const MEDIA_CODECS: MediasoupTypes.RouterRtpCodecCapability[] = [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }];

/** A conference's router and its bridge. */
interface Room {
  router: MediasoupTypes.Router;
  bridge: Bridge;
}

/** One browser: its two transports and, once it produced, its member. */
interface Session {
  id: string;
  conferenceId: string;
  send: MediasoupTypes.WebRtcTransport;
  recv: MediasoupTypes.WebRtcTransport;
  member?: Member;
  closed: boolean;
}

/** What a browser needs to open one of its transports. */
function transportInfo(transport: MediasoupTypes.WebRtcTransport): Record<string, unknown> {
  return { id: transport.id, iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters };
}

// mediasoup refuses bad parameters with its own TypeError/UnsupportedError: the caller's fault.
async function checked<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TypeError' || name === 'UnsupportedError') throw new InvalidArgumentError(`${what}: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}

/** The mediasoup worker, a room per conference and the browsers' sessions. */
export class MediasoupBrowsers {
  readonly #newWorker: () => Promise<MediasoupTypes.Worker>;
  readonly #listenIp: string;
  readonly #log: Logger;
  readonly #rooms = new Map<string, Promise<Room>>();
  readonly #sessions = new Map<string, Session>();
  #worker: MediasoupTypes.Worker;
  // While a dead worker's successor starts: what needs a worker waits for it.
  #restarting: Promise<void> | undefined;
  #closed = false;

  /** Loads mediasoup (UnsupportedError naming the package without it) and starts a worker. */
  static async create(options: { listenIp: string; log: Logger }): Promise<MediasoupBrowsers> {
    await loadMediasoup();
    const mediasoup = (await import(MEDIASOUP_PACKAGE)) as typeof import('mediasoup');
    const newWorker = (): Promise<MediasoupTypes.Worker> => mediasoup.createWorker({ logLevel: 'error' });
    return new MediasoupBrowsers(await newWorker(), newWorker, options);
  }

  private constructor(worker: MediasoupTypes.Worker, newWorker: () => Promise<MediasoupTypes.Worker>, options: { listenIp: string; log: Logger }) {
    this.#worker = worker;
    this.#newWorker = newWorker;
    this.#listenIp = options.listenIp;
    this.#log = options.log;
    this.#watch(worker);
  }

  // A worker that dies takes its routers with it: each room's bridge closes, so its members leave
  // (reason 'mediasoup-closed') and their sessions close. A new worker serves what comes next.
  #watch(worker: MediasoupTypes.Worker): void {
    worker.once('died', (error: Error) => {
      this.#log.error({ err: error }, 'the mediasoup worker died: its members left; starting a new worker');
      if (this.#closed) return;
      this.#restarting = this.#newWorker().then(
        (next) => {
          this.#restarting = undefined;
          if (this.#closed) return next.close();
          this.#worker = next;
          this.#watch(next);
        },
        (startError: unknown) => {
          this.#restarting = undefined;
          this.#log.error({ err: startError }, 'a new mediasoup worker failed to start');
        },
      );
    });
  }

  /** The worker process's id (the one serving now). */
  get workerPid(): number {
    return this.#worker.pid;
  }

  /** Sessions open now. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /** The conference's room, made on first use and closed with the conference. */
  room(conference: Conference): Promise<Room> {
    let room = this.#rooms.get(conference.id);
    if (!room) {
      room = (async () => {
        await this.#restarting;
        const router = await this.#worker.createRouter({ mediaCodecs: MEDIA_CODECS });
        try {
          const bridge = await conference.bridgeMediasoup({ router: router as unknown as SfuRouter, mixProducer: false });
          bridge.once('close', () => {
            this.#rooms.delete(conference.id);
            router.close();
          });
          return { router, bridge };
        } catch (error) {
          router.close();
          throw error;
        }
      })();
      this.#rooms.set(conference.id, room);
      room.catch(() => this.#rooms.delete(conference.id));
    }
    return room;
  }

  /** Opens a browser's send and receive transports. */
  async open(conference: Conference): Promise<Session> {
    const { router } = await this.room(conference);
    const options: MediasoupTypes.WebRtcTransportOptions = { listenInfos: [{ protocol: 'udp', ip: this.#listenIp }], enableUdp: true, enableTcp: false };
    const send = await router.createWebRtcTransport(options);
    const recv = await router.createWebRtcTransport(options).catch((error: unknown) => {
      send.close();
      throw error;
    });
    const session: Session = { id: randomUUID(), conferenceId: conference.id, send, recv, closed: false };
    this.#sessions.set(session.id, session);
    for (const transport of [send, recv]) {
      transport.observer.once('close', () => this.close(session));
      // A browser that goes away (or never finishes DTLS) ends its session and so its member.
      transport.on('dtlsstatechange', (state) => {
        if (state === 'failed' || state === 'closed') this.close(session);
      });
    }
    return session;
  }

  /** A session of the conference; 404 otherwise. */
  session(conferenceId: string, sessionId: string): Session {
    const session = this.#sessions.get(sessionId);
    if (!session || session.conferenceId !== conferenceId) throw new HttpError(404, 'ERR_NOT_FOUND', `no mediasoup session ${sessionId} in conference ${conferenceId}`);
    return session;
  }

  /** Sets a transport's DTLS parameters (the browser's side). */
  async connect(session: Session, transportId: string, dtlsParameters: MediasoupTypes.DtlsParameters): Promise<void> {
    const transport = [session.send, session.recv].find((t) => t.id === transportId);
    if (!transport) throw new InvalidArgumentError(`transportId must be one of the session's transports, got ${JSON.stringify(transportId)}`);
    await checked('dtlsParameters', () => transport.connect({ dtlsParameters }));
  }

  /**
   * Produces the browser's microphone, joins it through the bridge, and consumes its own mix on
   * the receive transport. A refused join closes the producer and leaves the session open.
   */
  async produce(
    conference: Conference,
    session: Session,
    request: { rtpParameters: MediasoupTypes.RtpParameters; rtpCapabilities: MediasoupTypes.RtpCapabilities; memberOptions: Omit<MemberOptions, 'leg'> },
  ): Promise<{ member: Member; producer: MediasoupTypes.Producer; consumer: MediasoupTypes.Consumer }> {
    if (session.member) throw new HttpError(409, 'ERR_INVALID_STATE', `session ${session.id} already joined as member ${session.member.id}`);
    const { bridge } = await this.room(conference);
    const producer = await checked('rtpParameters', () => session.send.produce({ kind: 'audio', rtpParameters: request.rtpParameters }));
    try {
      const joined = await bridge.addProducer(producer as unknown as SfuProducer, request.memberOptions);
      session.member = joined.member;
      joined.member.once('close', () => this.close(session));
      const consumer = await checked('rtpCapabilities', () => session.recv.consume({ producerId: joined.producer.id, rtpCapabilities: request.rtpCapabilities }));
      return { member: joined.member, producer, consumer };
    } catch (error) {
      producer.close();
      if (session.member) this.close(session);
      throw error;
    }
  }

  /** Closes a session's transports (its producer, so its member, with them). Idempotent. */
  close(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    this.#sessions.delete(session.id);
    session.send.close();
    session.recv.close();
  }

  /** Closes every session and room, and the worker. */
  closeAll(): void {
    this.#closed = true;
    for (const session of [...this.#sessions.values()]) this.close(session);
    this.#worker.close();
  }
}

type Params = { userId: string; conferenceId: string; sessionId: string };
type Req = FastifyRequest<{ Params: Params; Body: Record<string, unknown> }>;

const sessionParams = {
  ...conferenceParams,
  required: [...conferenceParams.required, 'sessionId'],
  properties: { ...conferenceParams.properties, sessionId: { type: 'string', minLength: 1, maxLength: 64, description: 'the session' } },
} as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

/** Registers the mediasoup signalling routes under each conference (auth is the caller's hook). */
export function registerMediasoupRoutes(app: FastifyInstance, context: { engine: Engine; users: UserRegistry; browsers: MediasoupBrowsers }): void {
  const { engine, users, browsers } = context;
  const conferenceOf = (request: Req): Conference => {
    const { conferenceId } = request.params;
    const conference = users.ownerOf(conferenceId) === request.user ? engine.conferences.find((c) => c.id === conferenceId && !c.closed) : undefined;
    if (!conference) throw new HttpError(404, 'ERR_NOT_FOUND', `no conference ${conferenceId}`);
    return conference;
  };
  const base = '/v1/users/:userId/conferences/:conferenceId/mediasoup';
  const tags = ['mediasoup'];

  app.get(base, {
    schema: { summary: "The conference's mediasoup router capabilities (for mediasoup-client's Device.load)", tags, params: conferenceParams, response: { 200: anyObject, ...errors(401, 404, 429) } },
  }, async (request: Req) => ({ routerRtpCapabilities: (await browsers.room(conferenceOf(request))).router.rtpCapabilities }));

  app.post(`${base}/sessions`, {
    schema: { summary: 'Opens a send and a receive WebRtcTransport for one browser', tags, params: conferenceParams, response: { 201: anyObject, ...errors(400, 401, 404, 409, 415, 429) } },
  }, async (request: Req, reply: FastifyReply) => {
    const session = await browsers.open(conferenceOf(request));
    return reply.code(201).send({ sessionId: session.id, send: transportInfo(session.send), recv: transportInfo(session.recv) });
  });

  app.post(`${base}/sessions/:sessionId/connect`, {
    schema: {
      summary: "Connects one of the session's transports (the browser's DTLS parameters)",
      tags,
      params: sessionParams,
      body: { type: 'object', required: ['transportId', 'dtlsParameters'], additionalProperties: false, properties: { transportId: { type: 'string' }, dtlsParameters: anyObject } },
      response: { 200: empty, ...errors(400, 401, 404, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const session = browsers.session(conferenceOf(request).id, request.params.sessionId);
    await browsers.connect(session, request.body.transportId as string, request.body.dtlsParameters as unknown as MediasoupTypes.DtlsParameters);
    return reply.code(200).send();
  });

  app.post(`${base}/sessions/:sessionId/produce`, {
    schema: {
      summary: 'Produces the microphone, joins the conference through the bridge and consumes the member\'s own mix',
      tags,
      params: sessionParams,
      body: {
        type: 'object',
        required: ['rtpParameters', 'rtpCapabilities'],
        additionalProperties: false,
        properties: { rtpParameters: anyObject, rtpCapabilities: anyObject, callId: { type: 'string', maxLength: 256 } },
      },
      response: { 201: anyObject, ...errors(400, 401, 404, 409, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const conference = conferenceOf(request);
    const session = browsers.session(conference.id, request.params.sessionId);
    const { rtpParameters, rtpCapabilities, callId } = request.body as { rtpParameters: MediasoupTypes.RtpParameters; rtpCapabilities: MediasoupTypes.RtpCapabilities; callId?: string };
    const { member, producer, consumer } = await browsers.produce(conference, session, { rtpParameters, rtpCapabilities, memberOptions: callId === undefined ? {} : { callId } });
    request.log.info({ conferenceId: conference.id, memberId: member.id }, 'member joined through mediasoup');
    reply.code(201).header('location', `${conferencePath(request.params.userId, conference.id)}/members/${member.id}`);
    return { id: member.id, producerId: producer.id, consumer: { id: consumer.id, producerId: consumer.producerId, kind: consumer.kind, rtpParameters: consumer.rtpParameters } };
  });

  app.post(`${base}/sessions/:sessionId/keys`, {
    schema: {
      summary: "Presses a dialpad key for the session's member (acts as the DTMF key map says)",
      tags,
      params: sessionParams,
      body: { type: 'object', required: ['key'], additionalProperties: false, properties: { key: { type: 'string', minLength: 1, maxLength: 1 } } },
      response: { 200: empty, ...errors(400, 401, 404, 409, 415, 429) },
    },
  }, async (request: Req, reply: FastifyReply) => {
    const session = browsers.session(conferenceOf(request).id, request.params.sessionId);
    if (!session.member) throw new HttpError(409, 'ERR_INVALID_STATE', `session ${session.id} has not joined yet`);
    await session.member.pressKey(request.body.key as string);
    return reply.code(200).send();
  });

  app.delete(`${base}/sessions/:sessionId`, {
    schema: { summary: 'Closes a session (its member leaves)', tags, params: sessionParams, response: { 200: empty, ...errors(401, 404, 429) } },
  }, async (request: Req, reply: FastifyReply) => {
    browsers.close(browsers.session(conferenceOf(request).id, request.params.sessionId));
    return reply.code(200).send();
  });
}
