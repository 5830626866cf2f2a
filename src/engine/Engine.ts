// The engine: the root of the ownership tree Engine -> Conference -> Member -> Leg. It places
// conferences on shards, routes shard events to them, and streams every callback event.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { InvalidArgumentError, InvalidStateError, NotFoundError } from '../errors.ts';
import { AppLeg } from '../legs/app/AppLeg.ts';
import type { AppLegOptions } from '../legs/app/AppLegTypes.ts';
import type { SpeechOptions } from '../audio/speech.ts';
import { ShardPool } from '../shard/ShardPool.ts';
import type { ShardDiedInfo, ShardPoolOptions } from '../shard/ShardPool.ts';
import type { ShardConferenceEvent } from '../shard/conferenceProtocol.ts';
import { Conference } from './Conference.ts';
import type { ConferenceEngineLink } from './Conference.ts';
import type { ConferenceOptions } from './ConferenceTypes.ts';
import type { CallbackEventPayload } from './events.ts';
import type { EngineEvents, EngineObserverEvents, EngineOptions, EngineShardStats } from './EngineTypes.ts';
import { checkAppData, checkFields, toHttpUrl, toInteger, toText } from '../fields.ts';
import { normalizeConferenceCreate, parseConferenceFields } from './conferenceFields.ts';
import type { ConferenceFieldValues } from './conferenceFields.ts';
import type { EngineShardPool } from './shardLink.ts';
import { loadConferenceSounds } from './sounds.ts';

/** The address SDP names for RTP legs unless `rtpAddress` says otherwise: loopback, so local peers work as is. */
export const DEFAULT_RTP_ADDRESS = '127.0.0.1';
/** The same for IPv6 legs (`rtpAddress6`). */
export const DEFAULT_RTP_ADDRESS6 = '::1';

interface EngineSettings {
  defaults: ConferenceFieldValues;
  sdpAddresses: { 4: string; 6: string };
  audioTimeoutMs: number;
  speech: SpeechOptions;
  uriBase: string | undefined;
  completedHistory: number;
  appData: Record<string, unknown>;
}

const ENGINE_KEYS = new Set([
  'shards', 'portMin', 'portMax', 'requestTimeoutMs', 'realtimePriority', 'defaults', 'audioTimeoutMs', 'espeakPath', 'speechTimeoutMs',
  'resourceUriBase', 'completedHistory', 'appData', 'rtpAddress', 'rtpAddress6',
]);

// An address SDP can name for our media: a unicast literal of the family, not the "any" address.
function sdpAddress(value: unknown, name: string, family: 4 | 6, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || isIP(value) !== family || value === '0.0.0.0' || value === '::') {
    throw new InvalidArgumentError(`${name} must be a unicast IPv${family} address literal (the address peers send RTP to)`);
  }
  return value;
}

function engineSettings(options: EngineOptions): EngineSettings {
  const fields = checkFields(options, 'engine options');
  for (const key of Object.keys(fields)) {
    if (!ENGINE_KEYS.has(key)) throw new InvalidArgumentError(`unknown engine option '${key}'; known options: ${[...ENGINE_KEYS].join(', ')}`);
  }
  const defaults = parseConferenceFields(options.defaults ?? {}, 'defaults');
  const speech: { espeakPath?: string; timeoutMs?: number } = {};
  if (options.espeakPath !== undefined) speech.espeakPath = toText(options.espeakPath, 'espeakPath', 1, 4096);
  if (options.speechTimeoutMs !== undefined) speech.timeoutMs = toInteger(options.speechTimeoutMs, 'speechTimeoutMs', 1, 600_000);
  let uriBase: string | undefined;
  if (options.resourceUriBase !== undefined) uriBase = toHttpUrl(options.resourceUriBase, 'resourceUriBase').replace(/\/+$/, '');
  return {
    defaults,
    sdpAddresses: {
      4: sdpAddress(options.rtpAddress, 'rtpAddress', 4, DEFAULT_RTP_ADDRESS),
      6: sdpAddress(options.rtpAddress6, 'rtpAddress6', 6, DEFAULT_RTP_ADDRESS6),
    },
    audioTimeoutMs: options.audioTimeoutMs === undefined ? 10_000 : toInteger(options.audioTimeoutMs, 'audioTimeoutMs', 1, 600_000),
    speech,
    uriBase,
    completedHistory: options.completedHistory === undefined ? 1000 : toInteger(options.completedHistory, 'completedHistory', 0, 1_000_000),
    appData: checkAppData(options.appData),
  };
}

/** A confmix engine. Create one with `createEngine()`. */
export class Engine extends EventEmitter<EngineEvents> {
  /** The user's own data. */
  readonly appData: Record<string, unknown>;
  /** Management events (newconference, close). */
  readonly observer = new EventEmitter<EngineObserverEvents>();

  readonly #pool: EngineShardPool;
  readonly #settings: EngineSettings;
  readonly #conferences = new Map<string, Conference>();
  readonly #completed: string[] = [];
  readonly #unattachedLegs = new Set<AppLeg>();
  readonly #link: ConferenceEngineLink;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(pool: EngineShardPool, settings: EngineSettings) {
    super();
    this.#pool = pool;
    this.#settings = settings;
    this.appData = settings.appData;
    const engine = this;
    this.#link = {
      uriBase: settings.uriBase,
      audioTimeoutMs: settings.audioTimeoutMs,
      speech: settings.speech,
      sdpAddresses: settings.sdpAddresses,
      completedHistory: settings.completedHistory,
      get closing() {
        return engine.#closed;
      },
      emitCallback: (conference, payload) => this.#emitCallback(conference, payload),
      conferenceClosed: (conference) => this.#onConferenceClosed(conference),
    };
    pool.on('event', (event) => this.#onShardEvent(event));
    pool.on('sharddied', (info) => this.#onShardDied(info));
  }

  /** Starts the shards and resolves with the engine. */
  static async create(options: EngineOptions = {}): Promise<Engine> {
    const settings = engineSettings(options);
    const poolOptions: ShardPoolOptions = {};
    if (options.shards !== undefined) poolOptions.shards = options.shards;
    if (options.portMin !== undefined) poolOptions.portMin = options.portMin;
    if (options.portMax !== undefined) poolOptions.portMax = options.portMax;
    if (options.requestTimeoutMs !== undefined) poolOptions.requestTimeoutMs = options.requestTimeoutMs;
    if (options.realtimePriority !== undefined) poolOptions.realtimePriority = options.realtimePriority;
    const pool = await ShardPool.create(poolOptions);
    return new Engine(pool, settings);
  }

  /** Internal: an engine over a pool the caller made (tests, embedders with their own pool). */
  static createWithPool(pool: EngineShardPool, options: EngineOptions = {}): Engine {
    return new Engine(pool, engineSettings(options));
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Conferences not yet completed. */
  get conferences(): Conference[] {
    return [...this.#conferences.values()].filter((c) => !c.closed);
  }

  /**
   * Creates a conference on the least-loaded shard. Takes the Conference API's fields (`from`,
   * `callbackUrl`, `callbackHttpMethod`, `callbackTimeout`, `fallbackUrl`, `profile`, `tag`), the
   * Kazoo profile fields, member/moderator defaults, confmix's `media` switches and `appData`. The profile's sounds are loaded
   * first, so a bad one is refused and nothing is created.
   */
  async createConference(options: ConferenceOptions = {}): Promise<Conference> {
    this.#assertOpen();
    const { appData, ...fields } = checkFields(options, 'conference') as ConferenceOptions;
    const checkedAppData = checkAppData(appData);
    const config = normalizeConferenceCreate(fields, this.#settings.defaults);
    const sounds = await loadConferenceSounds(config, this.#settings.audioTimeoutMs);
    this.#assertOpen();
    const shard = this.#pool.leastLoaded();
    const id = `conf-${randomUUID()}`;
    shard.conferenceIds.add(id);
    try {
      await shard.request('createConference', {
        conferenceId: id,
        settings: {
          rate: config.mixer.rate,
          interval: config.mixer.interval,
          energyLevel: config.mixer.energyLevel,
          hangoverMs: config.mixer.hangoverMs,
          comfortNoiseDbfs: config.mixer.comfortNoiseDbfs,
          digits: config.profile === 'passthru_digits' ? 'passthru' : 'interpret',
          media: { ...config.media },
        },
      });
    } catch (error) {
      shard.conferenceIds.delete(id);
      throw error;
    }
    const conference = new Conference({ id, config, shard, sounds, engine: this.#link, appData: checkedAppData });
    this.#conferences.set(id, conference);
    if (this.#closed) {
      await conference.closeForEngine();
      throw new InvalidStateError('the engine closed while the conference was being created');
    }
    this.emit('newconference', conference);
    this.observer.emit('newconference', conference);
    conference.announceCreated();
    return conference;
  }

  /** A conference by id (completed ones are kept for a while); NotFoundError when unknown. */
  getConference(conferenceId: string): Conference {
    const conference = typeof conferenceId === 'string' ? this.#conferences.get(conferenceId) : undefined;
    if (!conference) throw new NotFoundError(`no conference ${String(conferenceId)}`);
    return conference;
  }

  /** Creates a PCM app leg at `rate`; pass it as `leg` to addMember. */
  async createAppLeg(options: AppLegOptions): Promise<AppLeg> {
    this.#assertOpen();
    const leg = new AppLeg(options);
    this.#unattachedLegs.add(leg);
    const forget = (): void => void this.#unattachedLegs.delete(leg);
    leg.once('attach', forget);
    leg.once('close', forget);
    return leg;
  }

  /** Each running shard's media-thread figures (ticks, tick lateness, overruns, CPU, load), for monitoring. */
  async shardStats(): Promise<EngineShardStats[]> {
    this.#assertOpen();
    const live = this.#pool.shards.filter((shard) => !shard.closed);
    return Promise.all(live.map(async (shard) => ({ ...(await shard.request('stats', {})), shard: shard.id })));
  }

  /** Starts every shard's tick lateness percentiles afresh (after a warm-up, before a measured window). */
  async resetTickLateness(): Promise<void> {
    this.#assertOpen();
    await Promise.all(this.#pool.shards.filter((shard) => !shard.closed).map((shard) => shard.request('resetLateness', {})));
  }

  /** Completes every conference, closes unattached legs, stops the shards. Idempotent. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    const released = [...this.#conferences.values()].filter((c) => !c.closed).map((c) => c.closeForEngine());
    for (const leg of [...this.#unattachedLegs]) leg.close();
    this.#closing = (async () => {
      await Promise.all(released);
      await this.#pool.close();
      this.emit('close');
      this.observer.emit('close');
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvalidStateError('the engine is closed');
  }

  #emitCallback(conference: Conference, payload: CallbackEventPayload): void {
    this.emit('event', { conference, callback: conference.callbackSettings, payload });
    if (payload.eventType === 'conference-recording') this.emit('conference-recording', payload, conference);
  }

  #onConferenceClosed(conference: Conference): void {
    this.#completed.push(conference.id);
    while (this.#completed.length > this.#settings.completedHistory) {
      const oldest = this.#completed.shift();
      if (oldest !== undefined) this.#conferences.delete(oldest);
    }
  }

  #onShardEvent(event: ShardConferenceEvent): void {
    this.#conferences.get(event.conferenceId)?.handleShardEvent(event);
  }

  #onShardDied(info: ShardDiedInfo): void {
    for (const id of info.conferenceIds) this.#conferences.get(id)?.handleShardDeath();
    this.emit('sharddied', info);
  }
}

/** Starts an engine: `shards`, `portMin`/`portMax`, `defaults` for every conference, and more. */
export function createEngine(options: EngineOptions = {}): Promise<Engine> {
  return Engine.create(options);
}
