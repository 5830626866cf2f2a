// Where one WebRTC packet's CPU goes in the shard's worker, timed piece by piece on this thread:
// SRTP (werift's decrypt of the peer's packet and encrypt of ours), RTP parse and re-serialise
// (werift parses what it decrypts, and our leg serialises it again; outgoing, werift parses the
// media thread's bytes and serialises them to encrypt), and the crossing to the media thread
// (pushPackets, per packet of a batch). ICE and DTLS cost at setup (timed per join by the
// benchmark) and a consent check every few seconds after.
import { RtpHeader, RtpPacket, SrtpSession } from 'werift';
import { createShardMedia } from '../../src/native/shardMedia.ts';

/** Microseconds per packet of each piece. */
export interface PacketCosts {
  srtpDecryptUs: number;
  srtpEncryptUs: number;
  rtpParseSerializeUs: number;
  crossingUs: number;
}

const ITERATIONS = 20_000;
// AES-128 counter mode with HMAC-SHA1-80, the profile browsers and werift agree on by default.
const PROFILE_AES128_CM_SHA1_80 = 0x0001;

function timeUs(iterations: number, body: () => void): number {
  for (let i = 0; i < 1000; i++) body();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) body();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/** Times each piece for a 20 ms Opus packet of `payloadBytes`. */
export function packetCosts(payloadBytes = 80): PacketCosts {
  const key = Buffer.alloc(16, 7);
  const salt = Buffer.alloc(14, 9);
  const sender = new SrtpSession({ keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt }, profile: PROFILE_AES128_CM_SHA1_80 });
  const receiver = new SrtpSession({ keys: { localMasterKey: key, localMasterSalt: salt, remoteMasterKey: key, remoteMasterSalt: salt }, profile: PROFILE_AES128_CM_SHA1_80 });
  const payload = Buffer.alloc(payloadBytes, 0x55);
  let sequence = 0;
  const header = (): RtpHeader => new RtpHeader({ payloadType: 111, sequenceNumber: sequence & 0xffff, timestamp: (sequence++ * 960) >>> 0, ssrc: 0x1234 });
  const srtpEncryptUs = timeUs(ITERATIONS, () => void sender.encrypt(payload, header()));
  const encrypted: Buffer[] = [];
  for (let i = 0; i < ITERATIONS + 1000; i++) encrypted.push(sender.encrypt(payload, header()));
  let next = 0;
  const srtpDecryptUs = timeUs(ITERATIONS, () => void receiver.decrypt(encrypted[next++]));
  const plain = new RtpPacket(header(), payload).serialize();
  // Twice per packet: werift parses what it decrypted and we serialise it; outgoing, the reverse.
  const rtpParseSerializeUs = 2 * timeUs(ITERATIONS, () => void RtpPacket.deSerialize(plain).serialize());

  const media = createShardMedia({ portMin: 39900, portMax: 39909, realtimePriority: 0, onNotify: () => media.drain() });
  media.start();
  let crossingUs = 0;
  try {
    media.createConference(1, { rate: 16000, interval: 20 });
    media.addMember(1, 1, {}, { kind: 'external', receive: { codec: 'opus', payloadType: 111 }, send: { codec: 'opus', payloadType: 111 }, timeoutMs: 0 });
    const batch = 50;
    const bytes = new Uint8Array(plain.length * batch);
    const index = new Uint32Array(batch * 4);
    for (let i = 0; i < batch; i++) {
      bytes.set(plain, i * plain.length);
      index.set([1, 1, i * plain.length, plain.length], i * 4);
    }
    crossingUs = timeUs(400, () => void media.pushPackets(index, bytes)) / batch;
  } finally {
    media.stop();
  }
  return { srtpDecryptUs, srtpEncryptUs, rtpParseSerializeUs, crossingUs };
}
