// The shard side of the conference protocol: serves the engine's requests with the media backend
// (every handler typed by the protocol's map) and pushes events and load up.
import type { ShardRequestServer } from './ShardRequestServer.ts';
import type { NativeMediaBackend } from './NativeMediaBackend.ts';
import type { ShardLoad } from './messages.ts';

/** Serves one shard's conferences. */
export class ShardConferences {
  readonly #backend: NativeMediaBackend;
  readonly #server: ShardRequestServer;
  readonly #memberCounts = new Map<string, number>();
  #lastCpuMs = 0;
  #lastCpuAt = performance.now();

  /** Registers the conference methods on `server`, served by `backend`. */
  constructor(server: ShardRequestServer, backend: NativeMediaBackend) {
    this.#server = server;
    this.#backend = backend;
    backend.onEvents((events) => server.emitEvents(events));
    this.#register();
  }

  /** The shard's load, for placement. */
  load(): ShardLoad {
    const tickCpuMs = this.#backend.tickCpuMs();
    const now = performance.now();
    const cpuRate = now > this.#lastCpuAt ? ((tickCpuMs - this.#lastCpuMs) * 1000) / (now - this.#lastCpuAt) : 0;
    this.#lastCpuMs = tickCpuMs;
    this.#lastCpuAt = now;
    let members = 0;
    for (const count of this.#memberCounts.values()) members += count;
    return { conferences: this.#memberCounts.size, members, tickCpuMsPerSec: cpuRate };
  }

  /** Stops the backend (closing every leg). */
  close(): void {
    this.#backend.close();
  }

  #register(): void {
    const b = this.#backend;
    this.#server.serve({
      createConference: (p) => {
        b.createConference(p.conferenceId, p.settings);
        this.#memberCounts.set(p.conferenceId, 0);
        this.#pushLoad();
        return {};
      },
      destroyConference: (p) => {
        b.destroyConference(p.conferenceId);
        this.#memberCounts.delete(p.conferenceId);
        this.#pushLoad();
        return {};
      },
      updateConference: (p) => {
        b.updateConference(p.conferenceId, { mute: p.mute, hold: p.hold });
        return {};
      },
      addMember: async (p) => {
        const leg = await b.addMember(p.conferenceId, p.member, p.settings, p.leg);
        this.#memberCounts.set(p.conferenceId, (this.#memberCounts.get(p.conferenceId) ?? 0) + 1);
        this.#pushLoad();
        return { leg };
      },
      removeMember: (p) => {
        b.removeMember(p.conferenceId, p.member);
        this.#memberCounts.set(p.conferenceId, Math.max(0, (this.#memberCounts.get(p.conferenceId) ?? 1) - 1));
        this.#pushLoad();
        return {};
      },
      updateMember: (p) => {
        b.updateMember(p.conferenceId, p.member, p.settings);
        return {};
      },
      updateLeg: async ({ conferenceId, member, ...update }) => {
        await b.updateLeg(conferenceId, member, update);
        return {};
      },
      startPlayback: (p) => {
        b.startPlayback(p.conferenceId, p.playback, p.pcm, p.loop, p.member);
        return {};
      },
      stopPlayback: (p) => {
        b.stopPlayback(p.conferenceId, p.playback);
        return {};
      },
      startRecording: ({ conferenceId, recording, ...spec }) => {
        b.startRecording(conferenceId, recording, spec);
        return {};
      },
      setVoice: (p) => {
        b.setVoice(p.conferenceId, p.member, p.voice);
        return {};
      },
      stopRecording: (p) => {
        b.stopRecording(p.conferenceId, p.recording);
        return {};
      },
      pressKey: (p) => {
        b.pressKey(p.conferenceId, p.member, p.key);
        return {};
      },
      relate: (p) => {
        b.relate(p.conferenceId, p.member, p.other, p.relationship);
        return {};
      },
      memberStats: (p) => b.memberStats(p.conferenceId, p.member),
      stats: () => b.stats(),
      resetLateness: () => {
        b.resetLateness();
        return {};
      },
      conferenceClock: (p) => b.conferenceClock(p.conferenceId),
    });
  }

  #pushLoad(): void {
    this.#server.reportLoad(this.load());
  }
}
