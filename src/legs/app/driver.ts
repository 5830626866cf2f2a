// The shard's side of a PCM app leg: the app's frames arrive on its MessagePort and go to the media
// thread at the conference rate; the frames the member hears go back at the app's rate.
import type { MessagePort } from 'node:worker_threads';
import type { LegDriver, PcmResampler } from '../LegKind.ts';
import type { AppLegWireInfo, AppLegWireSpec } from './spec.ts';

const same: PcmResampler = { process: (pcm) => pcm };

/** Opens app legs on the shard's media thread. */
export const appLegDriver: LegDriver<AppLegWireSpec, AppLegWireInfo> = {
  open(context, settings, spec) {
    const rated = spec.rate !== context.conferenceRate;
    const toConference = rated ? context.createResampler(spec.rate, context.conferenceRate) : same;
    const fromConference = rated ? context.createResampler(context.conferenceRate, spec.rate) : same;
    context.media.addMember(context.conference, context.member, settings, { kind: 'app' });
    const port: MessagePort = spec.port;
    port.on('message', (message: { pcm?: unknown }) => {
      if (!(message?.pcm instanceof Int16Array)) return;
      try {
        context.media.pushPcm(context.conference, context.member, toConference.process(message.pcm));
      } catch {
        // A frame for a member that just left is dropped.
      }
    });
    return {
      info: { kind: 'app' },
      deliver(pcm) {
        const out = fromConference.process(pcm);
        port.postMessage({ pcm: out }, [out.buffer as ArrayBuffer]);
      },
      stats: () => ({}),
      close: () => port.close(),
    };
  },
};
