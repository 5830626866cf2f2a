// The shard side of the conference protocol: answers the engine's requests with the media
// backend, carries app legs' PCM over their MessagePorts, and pushes events up.
import type { MessagePort } from 'node:worker_threads';
import type { ShardHost } from './ShardHost.ts';
import type { MediaBackend } from './MediaBackend.ts';
import type { ShardConferenceRequests as Requests } from './conferenceProtocol.ts';
import type { ShardLoad } from './messages.ts';

type Params<M extends keyof Requests> = Requests[M]['params'];

function notFound(message: string): Error {
  return Object.assign(new Error(message), { code: 'ERR_NOT_FOUND' });
}

/** Serves one shard's conferences. */
export class ConferenceHost {
  readonly #backend: MediaBackend;
  readonly #host: ShardHost;
  // conferenceId -> member -> app leg port (only members with app legs)
  readonly #appPorts = new Map<string, Map<number, MessagePort>>();
  readonly #memberCounts = new Map<string, number>();
  #lastCpuMs = 0;
  #lastCpuAt = performance.now();

  constructor(host: ShardHost, backend: MediaBackend) {
    this.#host = host;
    this.#backend = backend;
    backend.onEvents((events) => {
      for (const event of events) host.emitEvent(event);
    });
    backend.onAppFrames((frames) => {
      for (const frame of frames) {
        const port = this.#appPorts.get(frame.conferenceId)?.get(frame.member);
        port?.postMessage({ pcm: frame.pcm }, [frame.pcm.buffer as ArrayBuffer]);
      }
    });
    this.#register();
  }

  /** The shard's load, for placement. */
  load(): ShardLoad {
    const stats = this.#backend.stats();
    const now = performance.now();
    const cpuRate = now > this.#lastCpuAt ? ((stats.tickCpuMs - this.#lastCpuMs) * 1000) / (now - this.#lastCpuAt) : 0;
    this.#lastCpuMs = stats.tickCpuMs;
    this.#lastCpuAt = now;
    let members = 0;
    for (const count of this.#memberCounts.values()) members += count;
    return { conferences: this.#memberCounts.size, members, tickCpuMsPerSec: cpuRate };
  }

  /** Stops the backend and closes every app port. */
  close(): void {
    for (const ports of this.#appPorts.values()) for (const port of ports.values()) port.close();
    this.#appPorts.clear();
    this.#backend.close();
  }

  #register(): void {
    const h = this.#host;
    const b = this.#backend;
    h.handle('createConference', (p: Params<'createConference'>) => {
      b.createConference(p.conferenceId, p.settings);
      this.#memberCounts.set(p.conferenceId, 0);
      this.#appPorts.set(p.conferenceId, new Map());
      this.#pushLoad();
      return {};
    });
    h.handle('destroyConference', (p: Params<'destroyConference'>) => {
      b.destroyConference(p.conferenceId);
      for (const port of this.#appPorts.get(p.conferenceId)?.values() ?? []) port.close();
      this.#appPorts.delete(p.conferenceId);
      this.#memberCounts.delete(p.conferenceId);
      this.#pushLoad();
      return {};
    });
    h.handle('updateConference', (p: Params<'updateConference'>) => {
      b.updateConference(p.conferenceId, { mute: p.mute, hold: p.hold });
      return {};
    });
    h.handle('addMember', (p: Params<'addMember'>) => {
      const ports = this.#appPorts.get(p.conferenceId);
      if (!ports) throw notFound(`conference ${p.conferenceId} is not on this shard`);
      const leg = p.leg.kind === 'app' ? { kind: 'app' as const, rate: p.leg.rate } : p.leg;
      const info = b.addMember(p.conferenceId, p.member, p.settings, leg);
      if (p.leg.kind === 'app') {
        const port = p.leg.port;
        ports.set(p.member, port);
        port.on('message', (message: { pcm?: unknown }) => {
          if (message?.pcm instanceof Int16Array) {
            try {
              b.pushAppPcm(p.conferenceId, p.member, message.pcm);
            } catch {
              // A frame for a member that just left is dropped.
            }
          }
        });
      }
      this.#memberCounts.set(p.conferenceId, (this.#memberCounts.get(p.conferenceId) ?? 0) + 1);
      this.#pushLoad();
      return { leg: info };
    });
    h.handle('removeMember', (p: Params<'removeMember'>) => {
      b.removeMember(p.conferenceId, p.member);
      const port = this.#appPorts.get(p.conferenceId)?.get(p.member);
      port?.close();
      this.#appPorts.get(p.conferenceId)?.delete(p.member);
      this.#memberCounts.set(p.conferenceId, Math.max(0, (this.#memberCounts.get(p.conferenceId) ?? 1) - 1));
      this.#pushLoad();
      return {};
    });
    h.handle('updateMember', (p: Params<'updateMember'>) => {
      b.updateMember(p.conferenceId, p.member, p.settings);
      return {};
    });
    h.handle('updateLeg', (p: Params<'updateLeg'>) => {
      const { conferenceId, member, ...update } = p;
      b.updateLeg(conferenceId, member, update);
      return {};
    });
    h.handle('startPlayback', (p: Params<'startPlayback'>) => {
      b.startPlayback(p.conferenceId, p.playback, p.pcm, p.loop, p.member);
      return {};
    });
    h.handle('stopPlayback', (p: Params<'stopPlayback'>) => {
      b.stopPlayback(p.conferenceId, p.playback);
      return {};
    });
    h.handle('pressKey', (p: Params<'pressKey'>) => {
      b.pressKey(p.conferenceId, p.member, p.key);
      return {};
    });
    h.handle('relate', (p: Params<'relate'>) => {
      b.relate(p.conferenceId, p.member, p.other, p.relationship);
      return {};
    });
    h.handle('getMember', (p: Params<'getMember'>) => b.getMember(p.conferenceId, p.member));
    h.handle('memberStats', (p: Params<'memberStats'>) => b.memberStats(p.conferenceId, p.member));
    h.handle('stats', () => b.stats());
    h.handle('resetLateness', () => {
      b.resetLateness();
      return {};
    });
    h.handle('conferenceClock', (p: Params<'conferenceClock'>) => b.conferenceClock(p.conferenceId));
  }

  #pushLoad(): void {
    this.#host.reportLoad(this.load());
  }
}
