// Routing in a cluster: every route of both APIs works on every server. One root preHandler
// (after each API's own authentication) decides, per request, whether this server answers or
// forwards it with undici to the server that owns the conference (or the member):
//   - creating a conference goes to the least-loaded live server;
//   - a user's conference list is read from the records in Redis;
//   - a conference's (or member's) routes go to its home (or the member's satellite); once its
//     server is lost they answer from the record, as for any completed conference;
//   - Kazoo routes of a document whose live conference runs elsewhere go there; a first join is
//     placed like a new conference.
// A forwarded request carries x-confmix-forwarded, and the server receiving it answers it itself.
import { Agent, request as httpRequest } from 'undici';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConfmixError, ErrorCode } from '../index.ts';
import type { Conference, Engine } from '../index.ts';
import type { ClusterNode } from './ClusterNode.ts';
import type { ClusterNodeInfo, ConferenceRecord } from './ClusterTypes.ts';
import type { Cascade } from './Cascade.ts';

/** The header a forwarded request carries (the forwarding server's id). */
export const FORWARDED_HEADER = 'x-confmix-forwarded';

/** The header that asks for a member to join on one server (explicit placement of a cascade). */
export const PLACEMENT_HEADER = 'x-confmix-node';

const CONFERENCE_ROUTE = '/v1/users/:userId/conferences/:conferenceId';
const JOIN_ROUTE = '/v1/users/:userId/conferences/:conferenceId/members';
const PASSED_HEADERS = ['authorization', 'x-auth-token', 'content-type', 'x-request-id', 'accept', PLACEMENT_HEADER];
const ANSWER_HEADERS = ['content-type', 'location', 'link'];

/** What routing needs from the server. */
export interface RoutingContext {
  cluster: ClusterNode;
  engine: Engine;
  cascade: Cascade;
}

type Params = { userId?: string; conferenceId?: string; memberId?: string; accountId?: string };

/** Forwards requests with undici to other servers of the cluster. */
export class Forwarder {
  readonly #agent = new Agent({ keepAliveTimeout: 10_000, connections: 32 });
  readonly #self: string;

  /** A forwarder for the server `self` (the id its requests carry). */
  constructor(self: string) {
    this.#self = self;
  }

  /** Sends `request` (its method, body and auth) to `target` at `path` and answers `reply` with its answer. */
  async forward(request: FastifyRequest, reply: FastifyReply, target: ClusterNodeInfo, path: string = request.url): Promise<FastifyReply> {
    const answer = await this.send(target, request.method, path, request.body, pick(request.headers, PASSED_HEADERS));
    for (const name of ANSWER_HEADERS) if (answer.headers[name] !== undefined) reply.header(name, answer.headers[name]);
    return reply.code(answer.statusCode).serializer((b: Buffer) => b as unknown as string).send(answer.body);
  }

  /** One request to another server; the body is JSON unless a string (SDP). */
  async send(target: ClusterNodeInfo, method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ statusCode: number; headers: Record<string, string>; body: Buffer }> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const sent: Record<string, string> = { ...headers, [FORWARDED_HEADER]: this.#self };
    if (payload !== undefined && sent['content-type'] === undefined) sent['content-type'] = 'application/json';
    if (payload === undefined) delete sent['content-type'];
    try {
      const answer = await httpRequest(`${target.httpUrl}${path}`, { method: method as 'GET', headers: sent, body: payload, dispatcher: this.#agent, headersTimeout: 15_000, bodyTimeout: 15_000 });
      const buffer = Buffer.from(await answer.body.arrayBuffer());
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(answer.headers)) if (typeof value === 'string') out[name] = value;
      return { statusCode: answer.statusCode, headers: out, body: buffer };
    } catch (error) {
      throw new ConfmixError(ErrorCode.clusterUnavailable, `server ${target.id} (${target.httpUrl}) did not answer: ${(error as Error & { code?: string }).code ?? (error as Error).message}`);
    }
  }

  /** Closes its connections. */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}

/** Installs the routing hook on the root of `app` (before the APIs are registered). */
export function installClusterRouting(app: FastifyInstance, context: RoutingContext, forwarder: Forwarder): void {
  const { cluster, engine, cascade } = context;

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? '';
    const params = (request.params ?? {}) as Params;
    if (request.headers[FORWARDED_HEADER] !== undefined) {
      // Answered here; only a join forwarded to a home may still grow the conference onto a satellite.
      if (route === JOIN_ROUTE && request.method === 'POST' && isLocalHome(engine, params.conferenceId!)) return cascade.maybeJoinElsewhere(request, reply, params.conferenceId!);
      return;
    }
    if (route.startsWith('/v1/users/:userId/conferences')) return routeConferenceApi(request, reply, route, params);
    if (route.startsWith('/v2/accounts/:accountId/conferences/:conferenceId')) return routeKazoo(request, reply, route, params);
  });

  async function routeConferenceApi(request: FastifyRequest, reply: FastifyReply, route: string, params: Params): Promise<FastifyReply | undefined> {
    const userId = params.userId!;
    if (route === '/v1/users/:userId/conferences') {
      if (request.method === 'GET') return listConferences(request, reply, userId);
      const target = await placement(request);
      return target.id === cluster.id ? undefined : forwarder.forward(request, reply, target);
    }
    const conferenceId = params.conferenceId!;
    if (request.method === 'GET' && (route === JOIN_ROUTE || route === CONFERENCE_ROUTE)) {
      const merged = await acrossServers(request, reply, route, conferenceId, userId);
      if (merged) return merged;
    }
    if (isLocalHome(engine, conferenceId)) {
      if (route === JOIN_ROUTE && request.method === 'POST') return cascade.maybeJoinElsewhere(request, reply, conferenceId);
      if (params.memberId === undefined) return undefined;
    }
    const record = await cluster.conference(conferenceId);
    if (!record || record.userId !== userId) {
      if (isLocal(engine, conferenceId)) return undefined;
      throw new ConfmixError(ErrorCode.notFound, `no conference ${conferenceId}`);
    }
    if (params.memberId !== undefined) {
      const location = await cluster.member(params.memberId);
      if (location) {
        // On a satellite (maybe this server): its conference there has its own id.
        const node = await cluster.node(location.node);
        if (node?.alive) return forwarder.forward(request, reply, node, request.url.replace(`/conferences/${conferenceId}/`, `/conferences/${location.conferenceId}/`));
      }
    }
    if (record.owner === cluster.id) return undefined;
    const owner = await cluster.node(record.owner);
    if (owner?.alive && record.completedReason === undefined) return forwarder.forward(request, reply, owner);
    return answerCompleted(request, reply, route, record);
  }

  // A cascaded conference's member list (home's and every satellite's, without the trunks), and
  // its JSON with activeMembers counted over them; undefined when it is not cascaded.
  async function acrossServers(request: FastifyRequest, reply: FastifyReply, route: string, conferenceId: string, userId: string): Promise<FastifyReply | undefined> {
    const record = await cluster.conference(conferenceId);
    if (!record || record.userId !== userId || !record.satellites || Object.keys(record.satellites).length === 0 || record.completedReason !== undefined) return undefined;
    const headers = pick(request.headers, PASSED_HEADERS);
    const membersPath = `/v1/users/${userId}/conferences/${conferenceId}/members`;
    const places: Array<[string, string]> = [[record.owner, conferenceId], ...Object.entries(record.satellites)];
    const lists = await Promise.all(places.map(async ([nodeId, id]) => {
      const node = await cluster.node(nodeId);
      if (!node?.alive) return [];
      const answer = await forwarder.send(node, 'GET', membersPath.replace(`/conferences/${conferenceId}/`, `/conferences/${id}/`), undefined, headers);
      return answer.statusCode === 200 ? (JSON.parse(answer.body.toString()) as Array<{ trunk?: boolean; state?: string }>) : [];
    }));
    const members = lists.flat().filter((m) => m.trunk !== true);
    if (route === JOIN_ROUTE) return reply.code(200).send(members);
    const owner = await cluster.node(record.owner);
    if (!owner?.alive) return undefined;
    const answer = await forwarder.send(owner, 'GET', request.url, undefined, headers);
    if (answer.statusCode !== 200) return undefined;
    const json = JSON.parse(answer.body.toString()) as Record<string, unknown>;
    return reply.code(200).send({ ...json, activeMembers: members.filter((m) => m.state === 'active').length });
  }

  // The server a new conference goes to: the one the request names (x-confmix-node), else the least loaded.
  async function placement(request: FastifyRequest): Promise<ClusterNodeInfo> {
    const named = request.headers[PLACEMENT_HEADER];
    if (typeof named !== 'string' || named === '') return cluster.place();
    const node = await cluster.node(named);
    if (!node?.alive || node.load?.draining) throw new ConfmixError(ErrorCode.clusterUnavailable, `server ${named} is not live or takes no new conferences`);
    return node;
  }

  async function listConferences(request: FastifyRequest, reply: FastifyReply, userId: string): Promise<FastifyReply> {
    const query = request.query as { state?: string; page?: string; size?: string };
    const page = Number(query.page ?? 0);
    const size = Number(query.size ?? 25);
    const all = (await cluster.userConferences(userId)).map(currentJson).filter((c) => query.state === undefined || c.state === query.state);
    if ((page + 1) * size < all.length) {
      const next = new URLSearchParams({ ...(query.state ? { state: query.state } : {}), page: String(page + 1), size: String(size) });
      reply.header('link', `</v1/users/${userId}/conferences?${next.toString()}>; rel="next"`);
    }
    return reply.code(200).send(all.slice(page * size, (page + 1) * size));
  }

  // The conference's server is gone: it is completed, and answers as such.
  async function answerCompleted(request: FastifyRequest, reply: FastifyReply, route: string, record: ConferenceRecord): Promise<FastifyReply> {
    if (request.method === 'GET') {
      if (route === '/v1/users/:userId/conferences/:conferenceId') return reply.code(200).send(currentJson(record));
      if (route === '/v1/users/:userId/conferences/:conferenceId/members') return reply.code(200).send([]);
      throw new ConfmixError(ErrorCode.notFound, `no member ${(request.params as Params).memberId} in conference ${record.id}`);
    }
    throw new ConfmixError(ErrorCode.invalidState, `conference ${record.id} is completed (${record.completedReason ?? 'node-lost'})`);
  }

  async function routeKazoo(request: FastifyRequest, reply: FastifyReply, route: string, params: Params): Promise<FastifyReply | undefined> {
    const accountId = params.accountId!;
    const documentId = params.conferenceId!;
    let holder = await cluster.kazooLive(accountId, documentId);
    const isJoin = route === '/v2/accounts/:accountId/conferences/:conferenceId/participants' && request.method === 'PUT' && ((request.body as { data?: { action?: unknown } } | undefined)?.data?.action === undefined);
    if (holder === undefined && isJoin) {
      const target = await placement(request);
      holder = await cluster.claimKazooLive(accountId, documentId, target.id);
    }
    if (holder === undefined || holder === cluster.id) return undefined;
    const node = await cluster.node(holder);
    if (!node?.alive) return undefined;
    return forwarder.forward(request, reply, node);
  }
}

/** The record's JSON, completed when its server was lost. */
function currentJson(record: ConferenceRecord): ConferenceRecord['json'] {
  return record.completedReason === undefined ? record.json : { ...record.json, state: 'completed' };
}

function isLocal(engine: Engine, conferenceId: string): boolean {
  return localConference(engine, conferenceId) !== undefined;
}

function isLocalHome(engine: Engine, conferenceId: string): boolean {
  const conference = localConference(engine, conferenceId);
  return conference !== undefined && conference.appData.cascadeOf === undefined;
}

/** A conference of this server's engine, if it has it. */
export function localConference(engine: Engine, conferenceId: string): Conference | undefined {
  try {
    return engine.getConference(conferenceId);
  } catch {
    return undefined;
  }
}

function pick(headers: FastifyRequest['headers'], names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}
