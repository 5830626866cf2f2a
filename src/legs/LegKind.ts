// What every leg kind provides, on both sides of the shard boundary. On the engine's side: a check
// of the leg's spec, and a join that turns it into the wire spec the shard opens and, once open,
// the public leg object. On the shard's side: a driver that opens the member's media on the native
// media thread and carries what the kind carries (an app leg's PCM, an RTP leg's updates).
import type { TransferListItem } from 'node:worker_threads';
import type { Fields } from '../fields.ts';
import type { ShardMedia } from '../native/shardMedia.ts';

/** A member's flags and levels as the shard takes them (the media thread's own settings type); absent fields are unchanged. */
export type MemberWireSettings = Parameters<ShardMedia['setMember']>[2];

/** Any kind's wire spec: at least its kind. */
export interface WireSpec {
  /** The kind of leg (a key of the registry). */
  kind: string;
}

/** The public leg object a member holds, whatever its kind: closing it removes the member. */
export interface LegObject {
  /** The kind of leg. */
  readonly kind: string;
  /** True once closed. */
  readonly closed: boolean;
  /** Closes the leg: its member leaves. Idempotent. */
  close(): void;
  /** Listens for the leg's close (emitted once). */
  once(event: 'close', listener: () => void): unknown;
}

/** What a joined leg may ask of its member and the shard; the engine provides it. */
export interface LegLink {
  /** Sends a change of this leg's media (peer, codec) to the shard. */
  updateLeg(update: Record<string, unknown>): Promise<void>;
  /** This leg's media figures from the shard, flat. */
  stats(): Promise<Record<string, number>>;
  /** The peer's media direction changed: mute what it does not send, deafen what it does not receive. */
  applyDirection(flags: { mute: boolean; deaf: boolean }): Promise<void>;
  /** Throws InvalidStateError unless the member and its conference are active. */
  assertActive(): void;
}

/** A leg on its way into a conference. */
export interface LegJoin<Spec extends WireSpec = WireSpec, Info extends WireSpec = WireSpec> {
  /** Flags its member starts with (an SDP peer that does not send starts muted), if the leg asks. */
  readonly flags?: { mute: boolean; deaf: boolean };
  /** A leg made for this join, handed to a refused caller so it hears its refusal sound. */
  readonly createdLeg?: LegObject;
  /** Whether a refusal sound can be played to it (an SDP peer refused never learns our port). */
  readonly hearsRefusal: boolean;
  /** The spec the shard opens and what to transfer with it; called once, when the join goes ahead. */
  wire(intervalMs: number): { spec: Spec; transfer: TransferListItem[] };
  /** The shard did not open it: the leg is free to join again. */
  abandon(): void;
  /** The join ended without a member (refused, the conference completed meanwhile): the leg closes. */
  discard(): void;
  /** The shard opened it: the leg the member holds. A throw (an SDP that cannot be written) undoes the join. */
  open(info: Info, link: LegLink): LegObject;
}

/** A checked leg of addMember, ready to join. */
export interface LegRequest {
  /** The kind of leg. */
  readonly kind: string;
  /** Starts the join: checks the leg is free, creates it when the request asked for a new one. */
  join(): LegJoin;
}

/** A member's media as one shard opened it. */
export interface OpenLeg<Info extends WireSpec = WireSpec> {
  /** What the engine is told about it. */
  readonly info: Info;
  /** The media thread's leg id, which its leg events name. */
  readonly legId?: number;
  /** A frame the member hears, at the conference rate (legs the shard carries frames for). */
  deliver?(pcm: Int16Array): void;
  /** Applies a change of the leg's media (legs that can change). */
  update?(update: Record<string, unknown>): void | Promise<void>;
  /** One datagram of the tick's outgoing batch for this external leg, to send to its peer. */
  send?(packet: Uint8Array): void;
  /** The leg's media figures, flat ({} when it has none). */
  stats(): Record<string, number> | Promise<Record<string, number>>;
  /** The member left: frees what the driver holds (the native member is removed by the shard). */
  close(): void;
}

/** A resampler of mono PCM between two fixed rates, carrying its state across calls. */
export interface PcmResampler {
  /** Resamples one block. */
  process(pcm: Int16Array): Int16Array;
}

/** What a driver works with: the shard's media thread and the member it opens. */
export interface LegDriverContext {
  /** The shard's native media plane. */
  readonly media: ShardMedia;
  /** The native conference's handle. */
  readonly conference: number;
  /** The conference's sample rate, Hz. */
  readonly conferenceRate: number;
  /** The member's number. */
  readonly member: number;
  /** Makes a resampler (the shard's native one). */
  createResampler(fromRate: number, toRate: number): PcmResampler;
  /** Queues a datagram of this external member's peer for the media thread (sent in batches). */
  pushPacket(packet: Uint8Array): void;
  /** The leg ended on its own (its peer failed or hung up): the member leaves with `reason`. */
  end(reason: string): void;
}

/** The shard's side of a kind: opens a member's media on the media thread. */
export interface LegDriver<Spec extends WireSpec = WireSpec, Info extends WireSpec = WireSpec> {
  /** Adds the member to the native conference with this kind's leg; throws a typed error, changing nothing, when it cannot. */
  open(context: LegDriverContext, settings: MemberWireSettings, spec: Spec): OpenLeg<Info> | Promise<OpenLeg<Info>>;
}

/** One leg kind: its check on the engine's side and its driver on the shard's. */
export interface LegKind<Spec extends WireSpec = WireSpec, Info extends WireSpec = WireSpec> {
  /** Checks `{kind, ...}` as addMember's `leg`. */
  parse(fields: Fields): LegRequest;
  /** A leg object given as `leg` (an AppLeg), if this kind takes it; undefined otherwise. */
  fromObject?(value: object): LegRequest | undefined;
  /** The shard's driver. */
  readonly driver: LegDriver<Spec, Info>;
}
