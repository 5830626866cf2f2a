// The types of cluster mode: a server's settings, what it advertises, and the records it keeps in
// Redis about conferences.
import type { CallbackSettings, ConferenceJson } from '../index.ts';

/** How a server joins a cluster. */
export interface ClusterSettings {
  /** redis://host:port (optionally with a user, password and database). */
  redisUrl: string;
  /** This server's id (default: a random one). */
  nodeId?: string;
  /** Its HTTP base URL, as other servers reach it. */
  httpUrl: string;
  /** The address its RTP legs are reached at. */
  rtpAddress: string;
  /** How often it reports its load, ms. */
  heartbeatMs: number;
  /** How long a report lives: a server silent this long is lost, ms. */
  heartbeatTtlMs: number;
  /** Local members of one conference before it cascades onto a satellite (0: never). */
  membersPerServer: number;
  /** How long a first connection to Redis may take, ms. */
  connectTimeoutMs: number;
}

/** A server's load, as its heartbeat reports it. */
export interface NodeLoad {
  /** Active members over its conferences. */
  members: number;
  /** Its conferences not yet completed. */
  conferences: number;
  /** Mean CPU of one tick over its shards, ms. */
  shardCpuMs: number;
  /** Worst p99 tick lateness over its shards, ms. */
  latenessP99Ms: number;
  /** It takes no new conferences. */
  draining: boolean;
}

/** A server of the cluster, as the others see it. */
export interface ClusterNodeInfo {
  /** Its id. */
  id: string;
  /** Its HTTP base URL. */
  httpUrl: string;
  /** Its RTP address. */
  rtpAddress: string;
  /** Its last reported load (absent once its heartbeat expired). */
  load?: NodeLoad;
  /** True while its heartbeat lives. */
  alive: boolean;
}

/** A conference as the cluster records it in Redis. */
export interface ConferenceRecord {
  /** The conference's id. */
  id: string;
  /** The Conference API user owning it. */
  userId: string;
  /** The server running it (its home). */
  owner: string;
  /** Creation, ms since the epoch. */
  createdMs: number;
  /** Its last JSON, as GET answers it. */
  json: ConferenceJson;
  /** Its callback settings (a survivor sends the final callback with them). */
  callback: CallbackSettings;
  /** Why it completed, when the cluster completed it ('node-lost'). */
  completedReason?: string;
  /** Satellites: server id -> the satellite conference's id there. */
  satellites?: Record<string, string>;
}

/** Where a member joined through cascading lives. */
export interface MemberLocation {
  /** The server its media is on. */
  node: string;
  /** The conference it is in there (a satellite's id). */
  conferenceId: string;
}

/** A conference event crossing servers through Redis pub/sub. */
export interface ClusterEvent {
  /** The server that raised it. */
  origin: string;
  /** The user whose listeners receive it. */
  userId: string;
  /** The (home) conference it concerns. */
  conferenceId: string;
  /** The callback payload. */
  payload: Record<string, unknown>;
  /** Raised on a satellite: its home sends the callback. */
  fromSatellite?: boolean;
}
