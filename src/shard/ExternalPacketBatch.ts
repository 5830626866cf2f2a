// Datagrams of external legs' peers (decrypted WebRTC RTP), gathered over one event-loop turn and
// handed to the media thread in one call: the thread boundary is crossed per batch, not per packet.

/** Hands a batch over: (conference, member, offset, size) quadruples into `bytes`. */
export type PushBatch = (index: Uint32Array, bytes: Uint8Array) => void;

const INITIAL_BYTES = 64 * 1024;

/** One shard's batch of external legs' inbound datagrams. */
export class ExternalPacketBatch {
  #bytes = new Uint8Array(INITIAL_BYTES);
  #used = 0;
  #index: number[] = [];
  #scheduled = false;
  readonly #push: PushBatch;

  /** Batches for `push`, called at the end of the event-loop turn that queued something. */
  constructor(push: PushBatch) {
    this.#push = push;
  }

  /** Queues one datagram of a member's peer. */
  add(conference: number, member: number, packet: Uint8Array): void {
    if (this.#used + packet.byteLength > this.#bytes.byteLength) {
      const grown = new Uint8Array(Math.max(this.#bytes.byteLength * 2, this.#used + packet.byteLength));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    this.#bytes.set(packet, this.#used);
    this.#index.push(conference, member, this.#used, packet.byteLength);
    this.#used += packet.byteLength;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hands what is queued over now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#index.length === 0) return;
    const index = Uint32Array.from(this.#index);
    const bytes = this.#bytes.subarray(0, this.#used);
    this.#index = [];
    this.#used = 0;
    this.#push(index, bytes);
  }
}
