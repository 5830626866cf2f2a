// The werift transport: the browser's RTCPeerConnection offers to the server's add-member route
// (leg 'webrtc'); a werift peer in the conference's shard answers. Gathering completes before the
// offer goes (no trickle needed), so one POST sets the call up; DELETE on the member leaves.
import type { ConferenceApi, ErrorBody } from './api.ts';
import { callSession, JoinError } from './transport.ts';
import type { CallSession, JoinRequest, SoftphoneTransport } from './transport.ts';

// Resolves once ICE gathering is complete, so the offer carries every candidate.
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = (): void => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/** Joins through the server's WebRTC legs (werift). */
export class WeriftTransport implements SoftphoneTransport {
  readonly name = 'werift';
  readonly #api: ConferenceApi;

  constructor(api: ConferenceApi) {
    this.#api = api;
  }

  async join(request: JoinRequest): Promise<CallSession> {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const track = request.microphone.getAudioTracks()[0];
    if (!track) throw new JoinError('no-microphone', 'No microphone track to send.');
    const sender = pc.addTrack(track, request.microphone);
    const remoteStream = new MediaStream();
    pc.addEventListener('track', (event) => remoteStream.addTrack(event.track));
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    let answer: Response;
    try {
      answer = await this.#api.fetch(`${this.#api.conferencePath(request.conferenceId)}/members`, {
        method: 'POST',
        body: JSON.stringify({ leg: 'webrtc', sdp: pc.localDescription!.sdp, callId: request.name }),
      });
    } catch {
      pc.close();
      throw new JoinError('network', 'The server cannot be reached.');
    }
    if (!answer.ok) {
      pc.close();
      const body = (await answer.json().catch(() => ({ code: 'unknown', message: answer.statusText }))) as ErrorBody;
      throw new JoinError(body.code, body.message, body.details?.reason);
    }
    const memberUrl = answer.headers.get('location') ?? '';
    const joined = (await answer.json()) as { id: string; sdp: string };
    await pc.setRemoteDescription({ type: 'answer', sdp: joined.sdp });
    return callSession({
      memberId: joined.id,
      memberUrl,
      remoteStream,
      sendDtmf: (key) => sender.dtmf?.insertDTMF(key, 120, 70),
      remove: (url) => this.#api.fetch(url, { method: 'DELETE' }),
      close: () => pc.close(),
      watch: (report) => pc.addEventListener('connectionstatechange', () => report(pc.connectionState)),
    });
  }
}
