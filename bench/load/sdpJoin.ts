// `--sdp`: a load room's members join through the engine's API by SDP offer/answer, as from a SIP
// media gateway. Each offer names the generator socket the member sends from (so the leg latches
// to the SDP's address, not to a first packet); the port in each answer is where it sends.
import { parse } from 'sdp-transform';
import type { Conference } from '../../src/index.ts';
import { FORMATS } from './payloads.ts';
import type { LoadCodec } from './options.ts';

/** Joins at once: each is one request to the shard, answered in order. */
const JOIN_BATCH = 250;
const TELEPHONE_EVENT_PT = 101;

/** A gateway's offer for one call: its codec, telephone-event, 20 ms, from 127.0.0.1:port. */
export function gatewayOffer(codec: LoadCodec, port: number, call: number): string {
  const format = FORMATS[codec];
  const rtpmap = codec === 'pcmu' ? ['a=rtpmap:0 PCMU/8000'] : [`a=rtpmap:${format.payloadType} opus/48000/2`, `a=fmtp:${format.payloadType} minptime=10;useinbandfec=1`];
  return [
    'v=0',
    `o=gateway ${1000 + call} 1 IN IP4 127.0.0.1`,
    's=load',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${format.payloadType} ${TELEPHONE_EVENT_PT}`,
    ...rtpmap,
    `a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/${format.clockRate}`,
    `a=fmtp:${TELEPHONE_EVENT_PT} 0-16`,
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** Where an answer says to send: its audio m= port, checked to carry the offered payload type. */
export function answeredPort(answer: string, payloadType: number): number {
  const audio = parse(answer).media.find((media) => media.type === 'audio');
  const types = String(audio?.payloads ?? '').split(' ').map(Number);
  if (!audio || audio.port === 0 || types[0] !== payloadType) throw new Error(`the answer does not take payload type ${payloadType}: ${answer}`);
  return audio.port;
}

/**
 * Joins one member per gateway port, in order, by its offer; returns each member's leg port from
 * the answers. `silentSettings` go to members past the talkers (PCMU: a gate that never opens).
 */
export async function joinBySdp(
  conference: Conference,
  codec: LoadCodec,
  gatewayPorts: readonly number[],
  talkers: number,
  silentSettings: { energyLevel?: number },
): Promise<number[]> {
  const ports: number[] = [];
  const payloadType = FORMATS[codec].payloadType;
  for (let first = 0; first < gatewayPorts.length; first += JOIN_BATCH) {
    const batch = gatewayPorts.slice(first, first + JOIN_BATCH).map(async (port, offset) => {
      const index = first + offset;
      const { sdp } = await conference.addMember({
        sdp: gatewayOffer(codec, port, index),
        callId: `load-${index}`,
        joinTone: false,
        leavingTone: false,
        ...(index < talkers ? {} : silentSettings),
      });
      return answeredPort(sdp, payloadType);
    });
    ports.push(...(await Promise.all(batch)));
  }
  return ports;
}
