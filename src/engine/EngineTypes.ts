// The public shape of the engine: options and events.
import type { ShardConferenceRequests } from '../shard/conferenceProtocol.ts';
import type { ShardDiedInfo } from '../shard/ShardPool.ts';
import type { Conference } from './Conference.ts';
import type { ConferenceOptions } from './ConferenceTypes.ts';
import type { CallbackEventPayload, ConferenceRecordingEventPayload } from './events.ts';
import type { CallbackSettings } from './conferenceFields.ts';

/** Conference fields every conference of an engine starts from (its own fields win). */
export type ConferenceDefaults = Omit<ConferenceOptions, 'appData' | 'tag' | 'from' | 'name'>;

/** How an engine is created. */
export interface EngineOptions {
  /** Shards (worker threads, each with a native media thread); default: the core count. */
  shards?: number;
  /** First UDP port of RTP legs (default 20000). */
  portMin?: number;
  /** Last UDP port of RTP legs (default 39999). */
  portMax?: number;
  /**
   * The IPv4 address our SDP offers and answers name for RTP (c= and o= lines): where peers send
   * media. Default 127.0.0.1, which only local peers reach; a server sets its own LAN or public
   * address (behind 1:1 NAT, the public one). The sockets themselves listen on every address.
   */
  rtpAddress?: string;
  /** The same for IPv6 legs (an offer with c=IN IP6). Default ::1. */
  rtpAddress6?: string;
  /** How long a shard may take to answer, ms (default 5000). */
  requestTimeoutMs?: number;
  /**
   * Real-time (SCHED_FIFO) priority of each shard's media thread, 1..99, where the process may set
   * it (root or CAP_SYS_NICE; elsewhere the thread quietly stays ordinary). Ticks then start on time
   * on a busy machine. 0 keeps ordinary threads. Default 10.
   */
  realtimePriority?: number;
  /** Defaults of every conference: Kazoo profile fields, member/moderator defaults, callback settings. */
  defaults?: ConferenceDefaults;
  /** Fetch timeout of audio files (play, profile sounds), ms (default 10000). */
  audioTimeoutMs?: number;
  /** The espeak-ng executable (default: found on PATH). */
  espeakPath?: string;
  /** Speech synthesis timeout, ms (default 30000). */
  speechTimeoutMs?: number;
  /** Base URL of the REST resources when an HTTP layer serves them: payloads then carry conferenceUri and memberUri. */
  resourceUriBase?: string;
  /** Completed conferences kept for lookup, and completed members kept listed in each conference (default 1000). */
  completedHistory?: number;
  /** The user's own data. */
  appData?: Record<string, unknown>;
}

/** One callback event with its conference: what the HTTP layer delivers. */
export interface EngineCallbackEvent {
  /** The conference it concerns. */
  conference: Conference;
  /** Its callback settings at the time of the event. */
  callback: CallbackSettings;
  /** The payload, as sent. */
  payload: CallbackEventPayload;
}

/** The events an Engine emits. */
export interface EngineEvents {
  /** Every callback event of every conference, in order. */
  event: [EngineCallbackEvent];
  /** A recording of any conference started, is done or failed (also delivered as `event`). */
  'conference-recording': [ConferenceRecordingEventPayload, Conference];
  /** A conference was created. */
  newconference: [Conference];
  /** A shard died; its conferences completed with reason 'shard-died'. */
  sharddied: [ShardDiedInfo];
  /** The engine closed; emitted once. */
  close: [];
}

/** Management events of an engine. */
export interface EngineObserverEvents {
  /** A conference was created. */
  newconference: [Conference];
  /** The engine closed. */
  close: [];
}

/** One shard's media-thread figures: ticks, lateness percentiles, overruns, CPU, load. */
export type EngineShardStats = ShardConferenceRequests['stats']['result'] & {
  /** The shard's index. */
  shard: number;
};

/** A shard's tick lateness: percentiles, a CDF for plots, and cumulative histogram buckets. */
export type TickLateness = EngineShardStats['lateness'];
