// A plain RTP leg as the member sees it: the spec it was opened with and the local port the
// shard's media thread bound. The socket itself lives in the shard.
import { EventEmitter } from 'node:events';
import type { ShardLegSpec, ShardRtpCodec } from '../shard/conferenceProtocol.ts';

type RtpSpec = Extract<ShardLegSpec, { kind: 'rtp' }>;

/** The events an RtpLeg emits. */
export interface RtpLegEvents {
  /** The leg is closed (its member left); emitted once. */
  close: [];
}

/** One member's plain RTP connection. */
export class RtpLeg extends EventEmitter<RtpLegEvents> {
  /** Always 'rtp'. */
  readonly kind = 'rtp' as const;
  /** The local address the shard bound. */
  readonly localAddress: string;
  /** The local UDP port the shard bound (send RTP here). */
  readonly localPort: number;
  #spec: RtpSpec;
  #closed = false;

  /** Built by the conference from the shard's addMember answer. */
  constructor(spec: RtpSpec, localAddress: string, localPort: number) {
    super();
    this.#spec = { ...spec, codec: { ...spec.codec } };
    this.localAddress = localAddress;
    this.localPort = localPort;
  }

  /** The codec sent and received. */
  get codec(): ShardRtpCodec {
    return { ...this.#spec.codec };
  }

  /** The peer's address, if known. */
  get remoteAddress(): string | undefined {
    return this.#spec.remoteAddress;
  }

  /** The peer's port, if known. */
  get remotePort(): number | undefined {
    return this.#spec.remotePort;
  }

  /** The RFC 4733 payload type, if negotiated. */
  get telephoneEventPayloadType(): number | undefined {
    return this.#spec.telephoneEventPayloadType;
  }

  /** Whether the peer is learned from its first valid packet. */
  get symmetricLatching(): boolean {
    return this.#spec.symmetricLatching ?? false;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Internal: records a peer or codec change the shard accepted. */
  applyUpdate(update: Partial<Pick<RtpSpec, 'remoteAddress' | 'remotePort' | 'codec' | 'telephoneEventPayloadType'>>): void {
    this.#spec = { ...this.#spec, ...update };
  }

  /** Closes the leg: its member leaves the conference. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  /** Plain data. */
  toJSON(): { kind: 'rtp'; localAddress: string; localPort: number; codec: ShardRtpCodec; remoteAddress?: string; remotePort?: number } {
    const json: ReturnType<RtpLeg['toJSON']> = { kind: 'rtp', localAddress: this.localAddress, localPort: this.localPort, codec: this.codec };
    if (this.remoteAddress !== undefined) json.remoteAddress = this.remoteAddress;
    if (this.remotePort !== undefined) json.remotePort = this.remotePort;
    return json;
  }
}
