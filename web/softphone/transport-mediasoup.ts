// The mediasoup transport: mediasoup-client opens a send and a receive WebRtcTransport on the
// server (signalling under the conference's /mediasoup routes), produces the microphone (the
// server joins it through its mediasoup bridge) and consumes the member's own mix. Keys go over
// the signalling route, which works with any mediasoup worker (a stock one drops RFC 4733 events).
import { Device } from 'mediasoup-client';
import type { types as MediasoupClientTypes } from 'mediasoup-client';
import type { ConferenceApi, ErrorBody } from './api.ts';
import { callSession, JoinError } from './transport.ts';
import type { CallSession, JoinRequest, SoftphoneTransport } from './transport.ts';

/** A transport as the server opens it. */
type TransportInfo = Pick<MediasoupClientTypes.TransportOptions, 'id' | 'iceParameters' | 'iceCandidates' | 'dtlsParameters'>;

/** What the produce route answers. */
interface Joined {
  id: string;
  producerId: string;
  consumer: { id: string; producerId: string; kind: 'audio'; rtpParameters: MediasoupClientTypes.RtpParameters };
}

/** Joins through the server's mediasoup WebRtcTransports and bridge. */
export class MediasoupTransport implements SoftphoneTransport {
  readonly name = 'mediasoup';
  readonly #api: ConferenceApi;

  constructor(api: ConferenceApi) {
    this.#api = api;
  }

  // A JSON call; a refusal becomes a JoinError with the server's code and reason.
  async #call<T>(path: string, init: RequestInit = {}): Promise<{ body: T; location: string | null }> {
    let answer: Response;
    try {
      answer = await this.#api.fetch(path, init);
    } catch {
      throw new JoinError('network', 'The server cannot be reached.');
    }
    if (!answer.ok) {
      const body = (await answer.json().catch(() => ({ code: 'unknown', message: answer.statusText }))) as ErrorBody;
      throw new JoinError(body.code, body.message, body.details?.reason);
    }
    const text = await answer.text();
    return { body: (text ? JSON.parse(text) : {}) as T, location: answer.headers.get('location') };
  }

  async join(request: JoinRequest): Promise<CallSession> {
    const track = request.microphone.getAudioTracks()[0];
    if (!track) throw new JoinError('no-microphone', 'No microphone track to send.');
    const base = `${this.#api.conferencePath(request.conferenceId)}/mediasoup`;
    const { body: capabilities } = await this.#call<{ routerRtpCapabilities: MediasoupClientTypes.RtpCapabilities }>(base);
    const device = new Device();
    await device.load({ routerRtpCapabilities: capabilities.routerRtpCapabilities });
    const { body: opened } = await this.#call<{ sessionId: string; send: TransportInfo; recv: TransportInfo }>(`${base}/sessions`, { method: 'POST', body: '{}' });
    const sessionPath = `${base}/sessions/${encodeURIComponent(opened.sessionId)}`;
    const post = (path: string, body: unknown) => this.#call<Joined>(`${sessionPath}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const send = device.createSendTransport(opened.send);
    const recv = device.createRecvTransport(opened.recv);
    for (const transport of [send, recv]) {
      transport.on('connect', ({ dtlsParameters }, callback, errback) => {
        post('/connect', { transportId: transport.id, dtlsParameters }).then(() => callback(), errback);
      });
    }
    let joined: { body: Joined; memberUrl: string } | undefined;
    let refused: unknown;
    send.on('produce', ({ rtpParameters }, callback, errback) => {
      post('/produce', { rtpParameters, rtpCapabilities: device.rtpCapabilities, callId: request.name }).then(
        ({ body, location }) => {
          joined = { body, memberUrl: location ?? '' };
          callback({ id: body.producerId });
        },
        (error: unknown) => {
          refused = error;
          errback(error as Error);
        },
      );
    });
    const close = (): void => {
      send.close();
      recv.close();
    };
    try {
      await send.produce({ track });
    } catch (error) {
      close();
      void this.#api.fetch(sessionPath, { method: 'DELETE' }).catch(() => {});
      throw refused ?? error;
    }
    const { body, memberUrl } = joined!;
    const consumer = await recv.consume(body.consumer);
    return callSession({
      memberId: body.id,
      memberUrl,
      remoteStream: new MediaStream([consumer.track]),
      sendDtmf: (key) => void post('/keys', { key }).catch(() => {}),
      remove: (url) => this.#api.fetch(url, { method: 'DELETE' }),
      close,
      watch: (report) => {
        for (const transport of [send, recv]) transport.on('connectionstatechange', report);
      },
    });
  }
}
