// One conference across servers. When its home is full (membersPerServer local members) or a
// join names another server (x-confmix-node), the member joins a satellite conference on another
// server, joined to home by a trunk: a pair of RTP legs, L16 at the conference rate (or Opus).
// Each side's trunk is a member flagged `trunk` in the mixer (never gated, never capped, no
// comfort noise), so with plain N-1 mixing:
//   home -> satellite  = home's mix minus the trunk's contribution = everyone but the satellite's;
//   satellite -> home  = the satellite's mix minus home's contribution = the sum of its locals.
// Members anywhere hear everyone else and never themselves. Conference-wide state (mute, hold,
// completion) flows from home to its satellites; member state and DTMF stay where the member is.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ConfmixError, ErrorCode } from '../index.ts';
import type { Conference, Engine, RtpCodec } from '../index.ts';
import type { ClusterNode } from './ClusterNode.ts';
import type { ClusterNodeInfo } from './ClusterTypes.ts';
import { PLACEMENT_HEADER, localConference } from './clusterRouting.ts';
import type { Forwarder } from './clusterRouting.ts';

/** The header carrying the cluster's shared secret on server-to-server routes. */
export const CLUSTER_SECRET_HEADER = 'x-confmix-cluster';

/** The codec of trunks. */
export type TrunkCodec = 'l16' | 'opus';

/** What a satellite answers when home asks for one. */
interface SatelliteAnswer {
  conferenceId: string;
  rtpAddress: string;
  trunkPort: number;
}

/** Cascading of this server's conferences, and the satellites it runs for others. */
export class Cascade {
  readonly #cluster: ClusterNode;
  readonly #engine: Engine;
  readonly #forwarder: Forwarder;
  readonly #log: Logger;
  readonly #codec: TrunkCodec;
  readonly #adopt: (userId: string, conference: Conference) => void;
  // Home conference id -> satellites being set up or running (server id -> answer).
  readonly #satellites = new Map<string, Map<string, Promise<SatelliteAnswer>>>();

  /** Cascading over this server's cluster node, engine and forwarder; `adopt` makes a satellite one of a user's conferences. */
  constructor(options: { cluster: ClusterNode; engine: Engine; forwarder: Forwarder; log: Logger; codec: TrunkCodec; adopt: (userId: string, conference: Conference) => void }) {
    this.#cluster = options.cluster;
    this.#engine = options.engine;
    this.#forwarder = options.forwarder;
    this.#log = options.log;
    this.#codec = options.codec;
    this.#adopt = options.adopt;
  }

  /** A join on this home: answered here (undefined), or forwarded to a satellite's conference. */
  async maybeJoinElsewhere(request: FastifyRequest, reply: FastifyReply, conferenceId: string): Promise<FastifyReply | undefined> {
    const home = localConference(this.#engine, conferenceId);
    if (!home || home.closed || home.locked) return undefined;
    const named = request.headers[PLACEMENT_HEADER];
    const limit = this.#cluster.settings.membersPerServer;
    const locals = localMembers(home);
    let target: ClusterNodeInfo | undefined;
    if (typeof named === 'string' && named !== '' && named !== this.#cluster.id) {
      target = await this.#cluster.node(named);
      if (!target?.alive) throw new ConfmixError(ErrorCode.notFound, `no live server ${named} in the cluster`);
    } else if (typeof named !== 'string' && limit > 0 && locals >= limit) {
      const running = [...(this.#satellites.get(conferenceId)?.keys() ?? [])];
      target = running.length > 0 ? await this.#cluster.node(running[running.length - 1]) : undefined;
      if (!target?.alive) target = await this.#cluster.place([this.#cluster.id, ...running]);
    }
    if (!target) return undefined;
    const satellite = await this.#satellite(home, target);
    const path = request.url.replace(`/conferences/${conferenceId}/`, `/conferences/${satellite.conferenceId}/`);
    const answer = await this.#forwarder.send(target, 'POST', path, request.body, passed(request));
    const location = answer.headers.location;
    if (answer.statusCode === 201 && location) {
      const memberId = location.slice(location.lastIndexOf('/') + 1);
      await this.#cluster.recordMember(memberId, { node: target.id, conferenceId: satellite.conferenceId });
      reply.header('location', location.replace(`/conferences/${satellite.conferenceId}/`, `/conferences/${conferenceId}/`));
    }
    if (answer.headers['content-type']) reply.header('content-type', answer.headers['content-type']);
    return reply.code(answer.statusCode).serializer((b: Buffer) => b as unknown as string).send(answer.body);
  }

  // The satellite of `home` on `target`, set up once: home's trunk leg first (its port goes in the
  // request), then the satellite and its trunk there, then home's trunk learns the satellite's port.
  #satellite(home: Conference, target: ClusterNodeInfo): Promise<SatelliteAnswer> {
    let byNode = this.#satellites.get(home.id);
    if (!byNode) this.#satellites.set(home.id, (byNode = new Map()));
    let pending = byNode.get(target.id);
    if (!pending) {
      pending = (async () => {
        const trunk = await home.addMember({ leg: { kind: 'rtp', codec: trunkCodecOf(this.#codec, home.rate), symmetricLatching: true }, trunk: true, joinTone: false, leavingTone: false, callId: `trunk-${target.id}` });
        const leg = trunk.leg as unknown as { localPort: number; update(u: { remoteAddress: string; remotePort: number }): Promise<void> };
        const answer = await this.#forwarder.send(target, 'POST', '/cluster/v1/satellites', {
          userId: home.appData.userId,
          homeId: home.id,
          homeNode: this.#cluster.id,
          rate: home.rate,
          interval: home.interval,
          codec: this.#codec,
          trunk: { address: this.#cluster.settings.rtpAddress, port: leg.localPort },
          mute: home.mute,
          hold: home.hold,
        }, { [CLUSTER_SECRET_HEADER]: this.#cluster.secret });
        if (answer.statusCode !== 201) {
          await trunk.update({ state: 'completed' }).catch(() => undefined);
          throw new ConfmixError(ErrorCode.clusterUnavailable, `server ${target.id} refused a satellite: ${answer.body.toString()}`);
        }
        const satellite = JSON.parse(answer.body.toString()) as SatelliteAnswer;
        await leg.update({ remoteAddress: satellite.rtpAddress, remotePort: satellite.trunkPort });
        await this.#cluster.addSatellite(home.id, target.id, satellite.conferenceId);
        this.#log.info({ conferenceId: home.id, satellite: satellite.conferenceId, node: target.id }, 'conference cascaded onto a satellite');
        return satellite;
      })();
      byNode.set(target.id, pending);
      pending.catch(() => byNode.delete(target.id));
    }
    return pending;
  }

  /**
   * A member left a conference whose only other members may be trunks: a satellite without local
   * members ends and tells home, which drops that trunk; a home without local members and
   * satellites completes (the trunks kept 'last-member-left' from firing by themselves).
   */
  memberLeft(conference: Conference): void {
    if (conference.closed || localMembers(conference) > 0) return;
    const homeId = conference.appData.cascadeOf;
    if (typeof homeId === 'string') {
      void (async () => {
        await conference.update({ state: 'completed' });
        const home = await this.#cluster.node(String(conference.appData.homeNode));
        if (home?.alive) await this.#forwarder.send(home, 'POST', `/cluster/v1/homes/${homeId}/ended`, { node: this.#cluster.id }, { [CLUSTER_SECRET_HEADER]: this.#cluster.secret });
      })().catch((error: Error) => this.#log.warn({ conferenceId: conference.id, err: error.message }, 'ending a satellite failed'));
      return;
    }
    if ((this.#satellites.get(conference.id)?.size ?? 0) === 0 && conference.members.some((m) => m.toJSON().trunk === true)) void conference.update({ state: 'completed' }).catch(() => undefined);
  }

  // A satellite of `home` on `nodeId` ended: its trunk goes, and home completes if nobody is left.
  async #satelliteEnded(home: Conference, nodeId: string): Promise<void> {
    this.#satellites.get(home.id)?.delete(nodeId);
    const trunk = home.members.find((m) => m.state === 'active' && m.toJSON().callId === `trunk-${nodeId}`);
    if (trunk) await trunk.update({ state: 'completed' });
    await this.#cluster.removeSatellite(home.id, nodeId);
    if (!home.closed && localMembers(home) === 0 && (this.#satellites.get(home.id)?.size ?? 0) === 0) await home.update({ state: 'completed' }).catch(() => undefined);
  }

  /** Conference-wide state of a home conference goes to its satellites (mute, hold, completion). */
  homeEvent(conference: Conference, payload: Record<string, unknown>): void {
    if (payload.eventType !== 'conference' || (payload.status !== 'updated' && payload.status !== 'completed')) return;
    const satellites = this.#satellites.get(conference.id);
    if (!satellites) return;
    const update = payload.status === 'completed' ? { state: 'completed' } : { mute: conference.mute, hold: conference.hold };
    if (payload.status === 'completed') this.#satellites.delete(conference.id);
    for (const [nodeId, pending] of satellites) {
      void (async () => {
        const satellite = await pending;
        const node = await this.#cluster.node(nodeId);
        if (!node?.alive) return;
        await this.#forwarder.send(node, 'POST', `/cluster/v1/satellites/${satellite.conferenceId}`, update, { [CLUSTER_SECRET_HEADER]: this.#cluster.secret });
      })().catch((error: Error) => this.#log.warn({ conferenceId: conference.id, node: nodeId, err: error.message }, 'satellite update failed'));
    }
  }

  /** The server-to-server routes: create a satellite with its trunk; update one. */
  registerRoutes(app: FastifyInstance): void {
    const internal = async (request: FastifyRequest): Promise<void> => {
      if (request.headers[CLUSTER_SECRET_HEADER] !== this.#cluster.secret) throw new ConfmixError(ErrorCode.notFound, 'no such route');
    };
    app.post('/cluster/v1/satellites', { schema: { hide: true }, onRequest: internal }, async (request, reply) => {
      const body = request.body as { userId: string; homeId: string; homeNode: string; rate: number; interval: number; codec: TrunkCodec; trunk: { address: string; port: number }; mute: boolean; hold: boolean };
      const conference = await this.#engine.createConference({ rate: body.rate, interval: body.interval, play_entry_tone: false, play_exit_tone: false, appData: { userId: body.userId, cascadeOf: body.homeId, homeNode: body.homeNode } } as never);
      this.#adopt(body.userId, conference);
      const trunk = await conference.addMember({ leg: { kind: 'rtp', codec: trunkCodecOf(body.codec, body.rate), remoteAddress: body.trunk.address, remotePort: body.trunk.port }, trunk: true, joinTone: false, leavingTone: false, callId: `trunk-${body.homeId}` });
      if (body.mute || body.hold) await conference.update({ mute: body.mute, hold: body.hold });
      const port = (trunk.leg as unknown as { localPort: number }).localPort;
      return reply.code(201).send({ conferenceId: conference.id, rtpAddress: this.#cluster.settings.rtpAddress, trunkPort: port });
    });
    app.post('/cluster/v1/homes/:conferenceId/ended', { schema: { hide: true }, onRequest: internal }, async (request, reply) => {
      const home = localConference(this.#engine, (request.params as { conferenceId: string }).conferenceId);
      if (home && !home.closed) await this.#satelliteEnded(home, (request.body as { node: string }).node);
      return reply.code(200).send({});
    });
    app.post('/cluster/v1/satellites/:conferenceId', { schema: { hide: true }, onRequest: internal }, async (request, reply) => {
      const conference = localConference(this.#engine, (request.params as { conferenceId: string }).conferenceId);
      if (!conference || conference.appData.cascadeOf === undefined) throw new ConfmixError(ErrorCode.notFound, 'no such satellite');
      if (!conference.closed) await conference.update(request.body as never);
      return reply.code(200).send({});
    });
  }
}

/** Active members of a conference that are not trunks. */
function localMembers(conference: Conference): number {
  return conference.members.filter((m) => m.state === 'active' && m.toJSON().trunk !== true).length;
}

/** A trunk's codec: L16 at the conference rate (lossless), or Opus. */
function trunkCodecOf(codec: TrunkCodec, rate: number): RtpCodec {
  return codec === 'opus' ? { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 } : { name: 'l16', payloadType: 96, clockRate: rate, channels: 1 };
}

function passed(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['authorization', 'content-type', 'x-request-id']) {
    const value = request.headers[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}
