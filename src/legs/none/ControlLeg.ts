// The leg of a member without media: it is controlled, counted and reported, but mixes nothing.
import { EventEmitter } from 'node:events';

/** The events a ControlLeg emits. */
export interface ControlLegEvents {
  /** The leg is closed (its member left); emitted once. */
  close: [];
}

/** A member's leg with no media (`{kind: 'none'}`). */
export class ControlLeg extends EventEmitter<ControlLegEvents> {
  /** Always 'none'. */
  readonly kind = 'none' as const;
  #closed = false;

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the leg: its member leaves the conference. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit('close');
  }

  /** Plain data. */
  toJSON(): { kind: 'none' } {
    return { kind: 'none' };
  }
}
