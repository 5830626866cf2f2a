// Live events for pages and tools: the same payloads as the callbacks, to every listener of a
// user (Server-Sent Events or a WebSocket), optionally of one conference only. A listener that
// cannot keep up loses events (counted in its stream as `dropped`) instead of holding memory.

/** One subscriber. */
export interface LiveListener {
  /** The user whose events it receives. */
  userId: string;
  /** Only this conference's, when set. */
  conferenceId?: string;
  /** Takes one serialized payload; false when the listener's buffer is full. */
  send(json: string): boolean;
}

/** Fans payloads out to listeners. */
export class LiveEvents {
  readonly #listeners = new Set<LiveListener>();

  /** Listeners connected now. */
  get size(): number {
    return this.#listeners.size;
  }

  /** Adds a listener; returns its removal. */
  add(listener: LiveListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Sends a payload of a user's conference to every listener that wants it. */
  publish(userId: string, conferenceId: string, payload: Record<string, unknown>): void {
    if (this.#listeners.size === 0) return;
    let json: string | undefined;
    for (const listener of this.#listeners) {
      if (listener.userId !== userId) continue;
      if (listener.conferenceId !== undefined && listener.conferenceId !== conferenceId) continue;
      json ??= JSON.stringify(payload);
      listener.send(json);
    }
  }
}
