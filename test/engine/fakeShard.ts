// An in-process stand-in for a shard that answers the conference protocol from plain state, so
// the engine's own logic is tested without worker threads or audio. It records every request and
// pushes events the way a shard does (after the response).
import { EventEmitter } from 'node:events';
import { InvalidArgumentError, InvalidStateError, NotFoundError } from '../../src/errors.ts';
import type { EngineShard, EngineShardPool } from '../../src/engine/shardLink.ts';
import type { ShardConferenceEvent, ShardConferenceSettings, ShardLegSpec, ShardMemberSettings } from '../../src/shard/conferenceProtocol.ts';
import type { ShardEvent } from '../../src/shard/messages.ts';
import type { DtmfAction, DtmfKey } from '../../src/audio/numbers.ts';
import type { ShardDiedInfo } from '../../src/shard/ShardPool.ts';

export interface FakeMember {
  settings: Required<ShardMemberSettings>;
  leg: ShardLegSpec;
}

export interface FakePlayback {
  pcm: Int16Array;
  loop: boolean;
  member?: number;
}

export interface FakeConference {
  settings: ShardConferenceSettings;
  mute: boolean;
  hold: boolean;
  members: Map<number, FakeMember>;
  playbacks: Map<number, FakePlayback>;
}

export interface FakeCall {
  method: string;
  params: Record<string, unknown>;
}

const STEPS = [0, 25, 50, 100, 200, 400, 800, 1600];

export class FakeShard extends EventEmitter<{ handled: [string] }> implements EngineShard {
  readonly id = 0;
  readonly conferenceIds = new Set<string>();
  readonly closed = false;
  readonly calls: FakeCall[] = [];
  readonly conferences = new Map<string, FakeConference>();
  /** Errors to answer the next request of a method with. */
  readonly failures = new Map<string, Error>();
  /** Whether updateMember echoes 'changed' events (a native mixer does). */
  echoChanges = true;

  constructor(private readonly pool: FakePool) {
    super();
  }

  /** Requests of one method, in order. */
  callsOf(method: string): Array<Record<string, unknown>> {
    return this.calls.filter((c) => c.method === method).map((c) => c.params);
  }

  async request<T>(method: string, params: unknown = {}): Promise<T> {
    const p = params as Record<string, unknown>;
    this.calls.push({ method, params: p });
    await Promise.resolve();
    const failure = this.failures.get(method);
    try {
      if (failure) {
        this.failures.delete(method);
        throw failure;
      }
      return this.#handle(method, p) as T;
    } finally {
      setImmediate(() => this.emit('handled', method));
    }
  }

  /** Pushes an event as the shard would. */
  push(event: ShardConferenceEvent): void {
    this.pool.emit('event', event as unknown as ShardEvent);
  }

  /** Ends a playback as the mixer would when the file runs out. */
  finishPlayback(conferenceId: string, playback: number): void {
    const conference = this.#conference(conferenceId);
    const entry = conference.playbacks.get(playback);
    if (!entry) throw new Error(`no playback ${playback}`);
    conference.playbacks.delete(playback);
    this.push({ type: 'playback-done', conferenceId, playback, member: entry.member ?? null, reason: 'finished' });
  }

  #conference(id: unknown): FakeConference {
    const conference = this.conferences.get(id as string);
    if (!conference) throw new NotFoundError(`no conference ${String(id)}`);
    return conference;
  }

  #member(conference: FakeConference, number: unknown): FakeMember {
    const member = conference.members.get(number as number);
    if (!member) throw new NotFoundError(`no member ${String(number)}`);
    return member;
  }

  #later(event: ShardConferenceEvent): void {
    setImmediate(() => this.push(event));
  }

  #handle(method: string, p: Record<string, unknown>): unknown {
    const conferenceId = p.conferenceId as string;
    switch (method) {
      case 'createConference':
        if (this.conferences.has(conferenceId)) throw new InvalidStateError('duplicate conference');
        this.conferences.set(conferenceId, {
          settings: p.settings as ShardConferenceSettings,
          mute: false,
          hold: false,
          members: new Map(),
          playbacks: new Map(),
        });
        return {};
      case 'destroyConference':
        this.#conference(conferenceId);
        this.conferences.delete(conferenceId);
        return {};
      case 'updateConference': {
        const conference = this.#conference(conferenceId);
        if (p.mute !== undefined) conference.mute = p.mute as boolean;
        if (p.hold !== undefined) conference.hold = p.hold as boolean;
        return {};
      }
      case 'addMember': {
        const conference = this.#conference(conferenceId);
        const number = p.member as number;
        if (conference.members.has(number)) throw new InvalidStateError('duplicate member');
        const s = p.settings as ShardMemberSettings;
        const leg = p.leg as ShardLegSpec;
        if (leg.kind === 'app' && ![8000, 16000, 24000, 32000, 48000].includes(leg.rate)) throw new InvalidArgumentError('bad rate');
        conference.members.set(number, {
          settings: {
            mute: s.mute ?? false,
            deaf: s.deaf ?? false,
            hold: s.hold ?? false,
            talkLevel: s.talkLevel ?? 0,
            listenLevel: s.listenLevel ?? 0,
            trunk: s.trunk ?? false,
            energyLevel: s.energyLevel ?? conference.settings.energyLevel,
          },
          leg,
        });
        if (leg.kind === 'rtp') return { leg: { kind: 'rtp', localAddress: '127.0.0.1', localPort: 40000 + 2 * number } };
        return { leg: { kind: leg.kind } };
      }
      case 'removeMember': {
        const conference = this.#conference(conferenceId);
        this.#member(conference, p.member);
        conference.members.delete(p.member as number);
        for (const [n, playback] of conference.playbacks) {
          if (playback.member === p.member) {
            conference.playbacks.delete(n);
            this.#later({ type: 'playback-done', conferenceId, playback: n, member: p.member as number, reason: 'member-left' });
          }
        }
        return {};
      }
      case 'updateMember': {
        const conference = this.#conference(conferenceId);
        const member = this.#member(conference, p.member);
        for (const [field, value] of Object.entries(p.settings as ShardMemberSettings)) {
          const key = field as keyof FakeMember['settings'];
          if (member.settings[key] === value) continue;
          (member.settings as Record<string, unknown>)[key] = value;
          if (this.echoChanges) this.#later({ type: 'changed', conferenceId, member: p.member as number, field: key, value: value as number | boolean });
        }
        return {};
      }
      case 'startPlayback': {
        const conference = this.#conference(conferenceId);
        if (p.member !== undefined) this.#member(conference, p.member);
        conference.playbacks.set(p.playback as number, { pcm: p.pcm as Int16Array, loop: p.loop as boolean, member: p.member as number | undefined });
        return {};
      }
      case 'stopPlayback': {
        const conference = this.#conference(conferenceId);
        const playback = conference.playbacks.get(p.playback as number);
        if (!playback) throw new NotFoundError('no playback');
        conference.playbacks.delete(p.playback as number);
        this.#later({ type: 'playback-done', conferenceId, playback: p.playback as number, member: playback.member ?? null, reason: 'stopped' });
        return {};
      }
      case 'pressKey':
        this.#pressKey(conferenceId, p.member as number, p.key as string);
        return {};
      case 'relate':
        this.#member(this.#conference(conferenceId), p.member);
        this.#member(this.#conference(conferenceId), p.other);
        return {};
      case 'updateLeg':
        this.#member(this.#conference(conferenceId), p.member);
        return {};
      case 'stats':
        return {
          ticks: 0,
          lateness: { p50Ms: 0, p99Ms: 0, maxMs: 0, cdf: [], buckets: [], count: 0, sumMs: 0 },
          tickCpuMs: 0,
          overruns: 0,
          conferences: this.conferences.size,
          members: [...this.conferences.values()].reduce((sum, c) => sum + c.members.size, 0),
          load: 0,
          realtime: false,
          monotonicMs: 0,
        };
      default:
        throw Object.assign(new Error(`unknown method ${method}`), { code: 'ERR_UNSUPPORTED' });
    }
  }

  // The interpret_digits key map, as the native mixer applies it.
  #pressKey(conferenceId: string, number: number, key: string): void {
    const conference = this.#conference(conferenceId);
    const member = this.#member(conference, number);
    const s = member.settings;
    const passthru = conference.settings.digits === 'passthru';
    const clampLevel = (v: number) => Math.max(-4, Math.min(4, v));
    const actions: Record<string, [string, () => Array<[string, number | boolean]>]> = {
      '1': ['talk-down', () => [['talkLevel', clampLevel(s.talkLevel - 1)]]],
      '2': ['talk-reset', () => [['talkLevel', 0]]],
      '3': ['talk-up', () => [['talkLevel', clampLevel(s.talkLevel + 1)]]],
      '4': ['listen-down', () => [['listenLevel', clampLevel(s.listenLevel - 1)]]],
      '5': ['listen-reset', () => [['listenLevel', 0]]],
      '6': ['listen-up', () => [['listenLevel', clampLevel(s.listenLevel + 1)]]],
      '7': ['energy-down', () => [['energyLevel', [...STEPS].reverse().find((v) => v < s.energyLevel) ?? 0]]],
      '8': ['energy-reset', () => [['energyLevel', conference.settings.energyLevel]]],
      '9': ['energy-up', () => [['energyLevel', STEPS.find((v) => v > s.energyLevel) ?? 1600]]],
      '0': ['toggle-mute', () => [['mute', !s.mute]]],
      '*': ['toggle-deaf-mute', () => [['deaf', !s.deaf], ['mute', !s.deaf]]],
      '#': ['leave', () => []],
    };
    const [action, apply] = actions[key];
    this.#later({ type: 'dtmf', conferenceId, member: number, key: key as DtmfKey, action: passthru ? 'none' : (action as DtmfAction) });
    if (passthru) return;
    for (const [field, value] of apply()) {
      if ((s as Record<string, unknown>)[field] === value) continue;
      (s as Record<string, unknown>)[field] = value;
      this.#later({ type: 'changed', conferenceId, member: number, field: field as keyof ShardMemberSettings, value });
    }
    if (key === '#') this.#later({ type: 'leave', conferenceId, member: number });
  }
}

export class FakePool extends EventEmitter<{ event: [ShardEvent]; sharddied: [ShardDiedInfo] }> implements EngineShardPool {
  readonly shard = new FakeShard(this);
  closed = false;

  get shards(): FakeShard[] {
    return [this.shard];
  }

  leastLoaded(): FakeShard {
    return this.shard;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
