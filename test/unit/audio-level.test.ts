// RFC 6464 client-to-mixer audio levels: parsed natively from the RTP header extension (one-byte
// and two-byte forms), negotiated by a=extmap in offer and answer, and used to rank members so
// those below the active talkers' cut are not decoded.
import { describe, expect, it } from 'vitest';
import { NativeMediaConference, packetsByMember } from '../../src/native/testing/mediaConference.ts';
import { CodecEncoder } from '../../src/native/testing/codecs.ts';
import { AUDIO_LEVEL_URI, createOffer, negotiateOffer, writeAnswer, applyAnswer } from '../../src/legs/rtp/sdp.ts';
import { ToneGenerator } from '../helpers/audio.ts';
import { RtpStreamBuilder } from '../helpers/rtp.ts';
import { codeOf } from '../helpers/errors.ts';

const INTERVAL = 20;
const LEVEL_ID = 3;

/** A one-byte-header extension (RFC 8285) carrying one audio level element. */
function oneByteLevel(id: number, dbov: number, voice: boolean): { profile: number; data: Uint8Array } {
  return { profile: 0xbede, data: Uint8Array.of((id << 4) | 0, (voice ? 0x80 : 0) | dbov, 0, 0) };
}

/** A two-byte-header extension with a padding byte before the element. */
function twoByteLevel(id: number, dbov: number): { profile: number; data: Uint8Array } {
  return { profile: 0x1000, data: Uint8Array.of(0, id, 1, 0x80 | dbov) };
}

/** An Opus peer sending a tone with a level in each packet's header extension. */
class LevelPeer {
  readonly #stream: RtpStreamBuilder;
  readonly #tone: ToneGenerator;
  readonly #encoder = new CodecEncoder({ codec: 'opus', bitrate: 32000 });
  constructor(freq: number, amplitude: number, ssrc: number) {
    this.#stream = new RtpStreamBuilder({ ssrc, payloadType: 111, samplesPerPacket: 960 }, { sequence: 10, timestamp: 1000 });
    this.#tone = new ToneGenerator(freq, amplitude, 48000);
  }
  next(extension: { profile: number; data: Uint8Array }): Uint8Array {
    return this.#stream.packet({ payload: this.#encoder.encode(this.#tone.next(960)), extension }).bytes;
  }
}

function room(maxActiveTalkers: number, members: number, withLevels: boolean): NativeMediaConference {
  const conference = new NativeMediaConference({ rate: 16000, interval: INTERVAL, energyLevel: 0, maxActiveTalkers, parallelCodecs: false });
  for (let id = 1; id <= members; id++) {
    conference.addMember(id, {}, {
      receive: { codec: 'opus', payloadType: 111, ...(withLevels ? { audioLevelExtensionId: LEVEL_ID } : {}) },
      send: { codec: 'opus', payloadType: 111 },
    });
  }
  return conference;
}

describe('RFC 6464 audio levels', () => {
  it('ranks by the level: with K = 2 only the two loudest and last tick\'s talkers are decoded', () => {
    const members = 8;
    const conference = room(2, members, true);
    const peers = Array.from({ length: members }, (_, i) => new LevelPeer(300 + 100 * i, 3000, 0x100 + i));
    // Member i reports -(10 + 5i) dBov: members 1 and 2 are the loudest.
    const levelOf = (i: number): number => 10 + 5 * i;
    let decodes = 0;
    let levelSkips = 0;
    const ticks = 50;
    for (let t = 0; t < ticks; t++) {
      peers.forEach((peer, i) => conference.pushRtp(i + 1, peer.next(i % 2 === 0 ? oneByteLevel(LEVEL_ID, levelOf(i), true) : twoByteLevel(LEVEL_ID, levelOf(i))), t * INTERVAL));
      const out = conference.tick();
      if (t >= 5) {
        decodes += out.decodes;
        levelSkips += out.levelSkips;
      }
    }
    // The six quiet members are never decoded once the room settled; the two loudest always are.
    expect(levelSkips).toBe(6 * (ticks - 5));
    expect(decodes).toBe(2 * (ticks - 5));
    expect(conference.memberStats(1).receive?.levelSkips).toBe(0);
    expect(conference.memberStats(8).receive?.levelSkips).toBeGreaterThanOrEqual(ticks - 5);
    // Everyone still gets a packet every tick.
    const out = conference.tick();
    expect(packetsByMember(out).size).toBe(members);
  });

  it('decodes everyone without the extension negotiated, or with no cap', () => {
    for (const [cap, withLevels] of [[2, false], [0, true]] as const) {
      const conference = room(cap, 6, withLevels);
      const peers = Array.from({ length: 6 }, (_, i) => new LevelPeer(400 + 100 * i, 3000, 0x200 + i));
      let levelSkips = 0;
      for (let t = 0; t < 20; t++) {
        peers.forEach((peer, i) => conference.pushRtp(i + 1, peer.next(oneByteLevel(LEVEL_ID, 20 + i, true)), t * INTERVAL));
        levelSkips += conference.tick().levelSkips;
      }
      expect(levelSkips).toBe(0);
    }
  });

  it('refuses an extension id outside 1..255 with ERR_INVALID_ARGUMENT', () => {
    const conference = new NativeMediaConference({ rate: 16000, interval: INTERVAL });
    for (const bad of [0, 256, 1.5]) {
      expect(codeOf(() => conference.addMember(1, {}, { receive: { codec: 'opus', payloadType: 111, audioLevelExtensionId: bad } }))).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('answers an offer\'s a=extmap for ssrc-audio-level with its id, and offers it itself', () => {
    const offer = [
      'v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      'm=audio 5000 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2', `a=extmap:${LEVEL_ID} ${AUDIO_LEVEL_URI}`, 'a=sendrecv', '',
    ].join('\r\n');
    const negotiation = negotiateOffer(offer);
    expect(negotiation.negotiated.audioLevelId).toBe(LEVEL_ID);
    const answer = writeAnswer(negotiation, { localAddress: '127.0.0.1', localPort: 6000 }).answerSdp;
    expect(answer).toContain(`a=extmap:${LEVEL_ID} ${AUDIO_LEVEL_URI}`);
    // An offer without it, or one whose peer only receives levels, negotiates none.
    expect(negotiateOffer(offer.replace(`a=extmap:${LEVEL_ID} ${AUDIO_LEVEL_URI}\r\n`, '')).negotiated.audioLevelId).toBeUndefined();
    expect(negotiateOffer(offer.replace(`a=extmap:${LEVEL_ID} `, `a=extmap:${LEVEL_ID}/recvonly `)).negotiated.audioLevelId).toBeUndefined();

    const ours = createOffer({ localAddress: '127.0.0.1', localPort: 7000 });
    expect(ours.offerSdp).toContain(`a=extmap:1 ${AUDIO_LEVEL_URI}`);
    const theirAnswer = ['v=0', 'o=- 2 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 5002 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2', `a=extmap:1 ${AUDIO_LEVEL_URI}`, ''].join('\r\n');
    expect(applyAnswer(ours.state, theirAnswer).audioLevelId).toBe(1);
  });
});
