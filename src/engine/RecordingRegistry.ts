// A conference's recordings: checks record() requests, numbers them, starts and stops them on the
// shard, matches the shard's recording events to them, and reports `conference-recording`.
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InvalidArgumentError } from '../errors.ts';
import type { ShardRecordingEvent, ShardRecordingSpec } from '../shard/conferenceProtocol.ts';
import { conferenceRecordingPayload, type CallbackEventPayload, type PayloadContext } from './events.ts';
import { Recording, type RecordingEnd } from './Recording.ts';
import type { RecordingFailureReason, RecordingFormat, RecordingJson, RecordingTrackJson } from './RecordingTypes.ts';
import type { ConferenceChannel } from './shardLink.ts';

/** A member as a recording names it. */
export interface RecordedMember {
  /** Its number in the shard protocol. */
  number: number;
  /** Its public id. */
  id: string;
}

/** A record() request, checked. */
export interface RecordingRequest {
  path: string;
  format: RecordingFormat;
  opusBitrate?: number;
  bufferMs?: number;
  tag?: string;
  /** The members' tracks besides (or, for a member's recording, instead of) the mix. */
  members: Array<{ member: RecordedMember; direction: 'hears' | 'says' }>;
  /** Whether the first track is the conference's mix. */
  mix: boolean;
  /** The member a member's recording belongs to. */
  owner?: RecordedMember;
}

/** What the registry needs from its conference. */
export interface RecordingOwner {
  /** The conference's id. */
  readonly conferenceId: string;
  /** The conference's channel to its shard. */
  readonly channel: ConferenceChannel;
  /** Fields every payload of the conference shares (`tag` overrides its own). */
  context(tag?: string): PayloadContext;
  /** Hands a callback payload to the conference and the engine. */
  emitCallback(payload: CallbackEventPayload): void;
}

/** Ended recordings kept listed per conference. */
const ENDED_KEPT = 100;
/** How long a completing conference waits for its recordings' files to be complete, ms. */
const STOP_ALL_TIMEOUT_MS = 10_000;

function invalid(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message);
}

function optionalInteger(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw invalid(`${name} must be an integer in ${min}..${max}`);
  return value;
}

/** Checks record()'s common fields; resolves the path and the format. */
export function checkRecordOptions(options: unknown): Omit<RecordingRequest, 'members' | 'mix' | 'owner'> {
  if (typeof options !== 'object' || options === null) throw invalid('record options must be an object');
  const o = options as Record<string, unknown>;
  if (typeof o.path !== 'string' || o.path.trim() === '') throw invalid('path must be a non-empty string');
  const path = resolve(o.path);
  let directory: ReturnType<typeof statSync> | undefined;
  try {
    directory = statSync(dirname(path));
  } catch {
    directory = undefined;
  }
  if (!directory?.isDirectory()) throw invalid(`the directory of ${path} does not exist`);
  const extension = extname(path).toLowerCase();
  let format: RecordingFormat;
  if (o.format === undefined) format = extension === '.opus' || extension === '.ogg' ? 'ogg-opus' : 'wav';
  else if (o.format === 'wav' || o.format === 'ogg-opus') format = o.format;
  else throw invalid("format must be 'wav' or 'ogg-opus'");
  if (o.tag !== undefined && typeof o.tag !== 'string') throw invalid('tag must be a string');
  const checked: Omit<RecordingRequest, 'members' | 'mix' | 'owner'> = { path, format };
  const opusBitrate = optionalInteger(o.opusBitrate, 'opusBitrate', 6000, 510000);
  const bufferMs = optionalInteger(o.bufferMs, 'bufferMs', 200, 60000);
  if (opusBitrate !== undefined) checked.opusBitrate = opusBitrate;
  if (bufferMs !== undefined) checked.bufferMs = bufferMs;
  if (o.tag !== undefined) checked.tag = o.tag as string;
  return checked;
}

/** A member's file of a multitrack recording: beside the mix's, named after the member. */
export function memberTrackPath(mixPath: string, memberId: string): string {
  const extension = extname(mixPath);
  return join(dirname(mixPath), `${basename(mixPath, extension)}-${memberId}${extension}`);
}

/** Every recording of one conference. */
export class RecordingRegistry {
  readonly #owner: RecordingOwner;
  readonly #byNumber = new Map<number, Recording>();
  #nextNumber = 1;

  /** A registry for one conference. */
  constructor(owner: RecordingOwner) {
    this.#owner = owner;
  }

  /** Running and recently ended recordings, oldest first. */
  list(): Recording[] {
    return [...this.#byNumber.values()];
  }

  /** A recording by id. */
  get(id: string): Recording | undefined {
    for (const recording of this.#byNumber.values()) if (recording.id === id) return recording;
    return undefined;
  }

  /** Starts a recording on the shard; resolves once the shard took it (its files open just after). */
  async start(request: RecordingRequest): Promise<Recording> {
    const tracks: RecordingTrackJson[] = [];
    const wire: ShardRecordingSpec['tracks'] = [];
    if (request.mix) {
      tracks.push({ path: request.path, source: 'mix' });
      wire.push({ source: 'mix', path: request.path });
    }
    for (const { member, direction } of request.members) {
      const path = request.mix ? memberTrackPath(request.path, member.id) : request.path;
      tracks.push({ path, source: direction, memberId: member.id });
      wire.push({ source: direction, member: member.number, path });
    }
    const number = this.#nextNumber++;
    const spec: ShardRecordingSpec = { format: request.format, tracks: wire };
    if (request.opusBitrate !== undefined) spec.opusBitrate = request.opusBitrate;
    if (request.bufferMs !== undefined) spec.bufferMs = request.bufferMs;
    const recording: Recording = new Recording({
      id: `rec-${randomUUID()}`,
      number,
      conferenceId: this.#owner.conferenceId,
      ...(request.owner ? { memberId: request.owner.id } : {}),
      format: request.format,
      ...(request.tag !== undefined ? { tag: request.tag } : {}),
      tracks,
      control: { stop: (): Promise<void> => this.#stop(recording) },
    });
    // Listed before the request: its first event may follow the answer at once.
    this.#byNumber.set(number, recording);
    try {
      await this.#owner.channel.request('startRecording', { recording: number, ...spec });
    } catch (error) {
      this.#byNumber.delete(number);
      throw error;
    }
    this.#trim();
    return recording;
  }

  /** Internal: one of the shard's recording events. */
  handleEvent(event: ShardRecordingEvent): void {
    const recording = this.#byNumber.get(event.recording);
    if (!recording) return;
    if (event.status === 'started') {
      if (recording.markStarted()) this.#report(recording, 'started');
      return;
    }
    const end: RecordingEnd = { state: event.status };
    if (event.durationMs !== undefined) end.durationMs = event.durationMs;
    if (event.trackBytes !== undefined) end.trackBytes = event.trackBytes;
    if (event.reason !== undefined) end.reason = event.reason as RecordingFailureReason;
    if (event.message !== undefined) end.message = event.message;
    this.#end(recording, end);
  }

  /** Stops every running recording and waits (bounded) for their files to be complete. */
  async stopAll(): Promise<void> {
    const running = this.list().filter((r) => r.state === 'recording');
    await Promise.all(
      running.map(async (recording) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolveLate) => {
          timer = setTimeout(() => {
            this.#end(recording, { state: 'failed', reason: 'too-slow', message: 'its files were not complete when the conference ended' });
            resolveLate();
          }, STOP_ALL_TIMEOUT_MS);
        });
        await Promise.race([recording.stop().then(() => undefined, () => undefined), late]);
        clearTimeout(timer);
      }),
    );
  }

  /** Ends every running recording as failed without the shard (it died). */
  failAll(reason: RecordingFailureReason, message: string): void {
    for (const recording of this.list()) this.#end(recording, { state: 'failed', reason, message });
  }

  async #stop(recording: Recording): Promise<void> {
    try {
      await this.#owner.channel.request('stopRecording', { recording: recording.number });
    } catch (error) {
      // It ended on its own a moment ago: its end event is on its way.
      if ((error as { code?: string }).code !== 'ERR_NOT_FOUND') throw error;
    }
    await recording.ended;
  }

  #end(recording: Recording, end: RecordingEnd): void {
    if (!recording.finish(end)) return;
    this.#report(recording, end.state);
    this.#trim();
  }

  #report(recording: Recording, status: 'started' | 'done' | 'failed'): void {
    const json: RecordingJson = recording.toJSON();
    this.#owner.emitCallback(conferenceRecordingPayload(this.#owner.context(recording.tag), json, status));
  }

  #trim(): void {
    const ended = this.list().filter((r) => r.state !== 'recording');
    for (const recording of ended.slice(0, Math.max(0, ended.length - ENDED_KEPT))) this.#byNumber.delete(recording.number);
  }
}
