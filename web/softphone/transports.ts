// Which transport the page joins with: the server says (/softphone/transport.json, from its
// --browser-transport setting); the page works the same either way.
import type { ConferenceApi } from './api.ts';
import type { SoftphoneTransport } from './transport.ts';
import { MediasoupTransport } from './transport-mediasoup.ts';
import { WeriftTransport } from './transport-werift.ts';

/** The server's transport for browsers (werift when it does not say). */
export async function chooseTransport(api: ConferenceApi): Promise<SoftphoneTransport> {
  const answer = await fetch('/softphone/transport.json', { cache: 'no-store' }).catch(() => undefined);
  const { transport } = ((await answer?.json().catch(() => undefined)) ?? {}) as { transport?: string };
  return transport === 'mediasoup' ? new MediasoupTransport(api) : new WeriftTransport(api);
}
