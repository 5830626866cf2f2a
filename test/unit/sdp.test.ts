// Longer than 500 lines: one case per rule of the offer/answer, each a few lines, kept beside its neighbours.
import { describe, expect, it } from 'vitest';
import { parse } from 'sdp-transform';
import { ConfmixError, InvalidArgumentError } from '../../src/errors.ts';
import { answerOffer, applyAnswer, createOffer, negotiateOffer, MAX_SDP_BYTES, SdpError, writeAnswer, type AnswerOfferOptions, type SdpErrorReason } from '../../src/legs/rtp/sdp.ts';

const sdp = (...lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const local: AnswerOfferOptions = { localAddress: '192.0.2.10', localPort: 40000 };

// As ffmpeg's RTP muxer writes them (`-f rtp ... -sdp_file`).
const ffmpegOpusOffer = sdp(
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 61.7.100',
  'm=audio 5004 RTP/AVP 97',
  'b=AS:96',
  'a=rtpmap:97 opus/48000/2',
  'a=fmtp:97 sprop-stereo=1',
);
const ffmpegPcmuOffer = sdp(
  'v=0',
  'o=- 0 0 IN IP4 127.0.0.1',
  's=No Name',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'a=tool:libavformat 61.7.100',
  'm=audio 5006 RTP/AVP 0',
  'b=AS:64',
);
const gatewayOffer = sdp(
  'v=0',
  'o=FreeSWITCH 1700000000 1700000001 IN IP4 203.0.113.5',
  's=FreeSWITCH',
  'c=IN IP4 203.0.113.5',
  't=0 0',
  'm=audio 16384 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
);
const webrtcOffer = sdp(
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=msid-semantic: WMS',
  'm=audio 9 RTP/AVPF 111 63 9 0 8 110 126',
  'c=IN IP4 198.51.100.7',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendrecv',
  'a=rtcp-mux',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1;stereo=1;maxaveragebitrate=40000;maxplaybackrate=16000',
  'a=rtpmap:63 red/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:3735928559 cname:abcdefgh',
);

function audioOf(text: string) {
  const parsed = parse(text);
  const audio = parsed.media.find((media) => media.type === 'audio');
  if (!audio) throw new Error('no audio in the SDP');
  return { parsed, audio };
}

function sdpErrorOf(fn: () => unknown): SdpError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SdpError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

function expectSdpError(fn: () => unknown, reason: SdpErrorReason): void {
  const error = sdpErrorOf(fn);
  expect(error).toBeInstanceOf(ConfmixError);
  expect(error.code).toBe('ERR_SDP');
  expect(error.reason).toBe(reason);
  expect(error.message.length).toBeGreaterThan(10);
}

describe('answerOffer: real offers', () => {
  it("answers ffmpeg's Opus offer with its payload type and RTCP on the next port", () => {
    const { answerSdp, negotiated } = answerOffer(ffmpegOpusOffer, local);
    const { parsed, audio } = audioOf(answerSdp);
    expect(parsed.origin.address).toBe('192.0.2.10');
    expect(parsed.connection).toEqual({ version: 4, ip: '192.0.2.10' });
    expect(audio.port).toBe(40000);
    expect(audio.protocol).toBe('RTP/AVP');
    expect(String(audio.payloads)).toBe('97');
    expect(audio.rtp).toEqual([{ payload: 97, codec: 'opus', rate: 48000, encoding: 2 }]);
    expect(audio.ptime).toBe(20);
    expect(audio.direction).toBe('sendrecv');
    expect(audio.rtcpMux).toBeUndefined();
    expect(negotiated.codec).toMatchObject({ name: 'opus', payloadType: 97, clockRate: 48000, channels: 2, fec: false, spropStereo: true, stereo: false });
    expect(negotiated.remote).toEqual({ address: '127.0.0.1', port: 5004, family: 4 });
    expect(negotiated.remoteRtcp).toEqual({ address: '127.0.0.1', port: 5005 });
    expect(negotiated.telephoneEvent).toBeNull();
    expect([negotiated.send, negotiated.receive]).toEqual([true, true]);
    expect([negotiated.remoteSessionId, negotiated.remoteSessionVersion]).toEqual(['0', 0]);
  });

  it("answers ffmpeg's PCMU offer (static payload type 0, no rtpmap)", () => {
    const { answerSdp, negotiated } = answerOffer(ffmpegPcmuOffer, local);
    const { audio } = audioOf(answerSdp);
    expect(String(audio.payloads)).toBe('0');
    expect(audio.rtp).toEqual([{ payload: 0, codec: 'PCMU', rate: 8000 }]);
    expect(audio.fmtp).toEqual([]);
    expect(negotiated.codec).toMatchObject({ name: 'pcmu', payloadType: 0, clockRate: 8000, channels: 1 });
    expect(negotiated.remote.port).toBe(5006);
  });

  it('answers a SIP gateway with its first codec and telephone-event', () => {
    const { answerSdp, negotiated } = answerOffer(gatewayOffer, local);
    const { audio } = audioOf(answerSdp);
    expect(String(audio.payloads)).toBe('0 101');
    expect(audio.rtp).toEqual([
      { payload: 0, codec: 'PCMU', rate: 8000 },
      { payload: 101, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(audio.fmtp).toEqual([{ payload: 101, config: '0-16' }]);
    expect(negotiated.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
    expect(negotiated.ptimeMs).toBe(20);
    expect(negotiated.remoteSessionId).toBe('1700000000');
  });

  it('takes the preferred codec when the offer has it', () => {
    expect(answerOffer(gatewayOffer, { ...local, preferredCodec: 'pcma' }).negotiated.codec).toMatchObject({ name: 'pcma', payloadType: 8 });
    // Not offered: the offer's first supported codec.
    expect(answerOffer(gatewayOffer, { ...local, preferredCodec: 'opus' }).negotiated.codec.name).toBe('pcmu');
  });

  it('answers a WebRTC-style Opus offer: rtcp-mux, FEC, DTX, stereo, bitrate, mid', () => {
    const { answerSdp, negotiated } = answerOffer(webrtcOffer, { ...local, opus: { bitrate: 64000, dtx: true } });
    const { audio } = audioOf(answerSdp);
    expect(audio.protocol).toBe('RTP/AVPF');
    expect(String(audio.payloads)).toBe('111 110');
    expect(audio.rtcpMux).toBe('rtcp-mux');
    expect(String(audio.mid)).toBe('0');
    expect(audio.rtp).toContainEqual({ payload: 110, codec: 'telephone-event', rate: 48000 });
    const fmtp = audio.fmtp.find((entry) => entry.payload === 111);
    expect(fmtp?.config).toBe('minptime=10;useinbandfec=1;usedtx=1;maxaveragebitrate=64000');
    expect(negotiated.codec).toEqual({
      name: 'opus',
      payloadType: 111,
      clockRate: 48000,
      channels: 2,
      fec: true,
      dtx: true,
      stereo: true,
      spropStereo: false,
      maxAverageBitrate: 40000,
      maxPlaybackRate: 16000,
      minPtimeMs: 10,
      bitrate: 40000, // our 64000 capped by the peer's maximum
    });
    expect(negotiated.telephoneEvent).toEqual({ payloadType: 110, clockRate: 48000 });
    expect(negotiated.remoteRtcp).toBe('mux');
    expect(negotiated.rtcpMux).toBe(true);
    expect(negotiated.remote).toEqual({ address: '198.51.100.7', port: 9, family: 4 });
    expect(negotiated.remoteSsrc).toBe(3735928559);
  });

  it('turns FEC off and asks for none when our options say so', () => {
    const { answerSdp, negotiated } = answerOffer(webrtcOffer, { ...local, opus: { fec: false, dtx: false } });
    expect(audioOf(answerSdp).audio.fmtp.find((entry) => entry.payload === 111)?.config).toBe('minptime=10;useinbandfec=0');
    // No bitrate of ours: the encoder's default, capped by the peer's maximum in the shard.
    expect([negotiated.codec.fec, negotiated.codec.dtx, negotiated.codec.bitrate, negotiated.codec.maxAverageBitrate]).toEqual([false, false, 0, 40000]);
  });
});

describe('answerOffer: the rules', () => {
  const offerWith = (media: string[], session: string[] = ['c=IN IP4 203.0.113.9']) =>
    sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.9', 's=-', ...session, 't=0 0', ...media);

  it('keeps dynamic payload types and picks the first codec we speak', () => {
    const offer = offerWith(['m=audio 7000 RTP/AVP 98 109 0', 'a=rtpmap:98 G7221/16000', 'a=rtpmap:109 opus/48000/2']);
    const { negotiated, answerSdp } = answerOffer(offer, local);
    expect(negotiated.codec).toMatchObject({ name: 'opus', payloadType: 109 });
    expect(String(audioOf(answerSdp).audio.payloads)).toBe('109');
  });

  it('accepts L16 mono at 8, 16, 32 and 48 kHz only', () => {
    for (const rate of [8000, 16000, 32000]) {
      const offer = offerWith(['m=audio 7000 RTP/AVP 96', `a=rtpmap:96 L16/${rate}/1`]);
      expect(answerOffer(offer, local).negotiated.codec).toMatchObject({ name: 'l16', payloadType: 96, clockRate: rate, channels: 1 });
    }
    // 48 kHz fits a packet (1500 bytes of payload) at 10 ms only: 960 bytes; at 20 ms it would be 1920.
    const at10 = offerWith(['m=audio 7000 RTP/AVP 96', 'a=rtpmap:96 L16/48000/1', 'a=ptime:10']);
    expect(answerOffer(at10, local).negotiated).toMatchObject({ codec: { name: 'l16', clockRate: 48000 }, ptimeMs: 10 });
    expectSdpError(() => answerOffer(offerWith(['m=audio 7000 RTP/AVP 96', 'a=rtpmap:96 L16/44100/1']), local), 'no-common-codec');
    expectSdpError(() => answerOffer(offerWith(['m=audio 7000 RTP/AVP 96', 'a=rtpmap:96 L16/16000/2']), local), 'no-common-codec');
    // Static 11 is L16/44100.
    expectSdpError(() => answerOffer(offerWith(['m=audio 7000 RTP/AVP 11']), local), 'no-common-codec');
    expectSdpError(() => answerOffer(offerWith(['m=audio 7000 RTP/AVP 96', 'a=rtpmap:96 opus/48000/1']), local), 'no-common-codec');
  });

  it('refuses L16 whose packets would not fit 1500 bytes of payload, falling back to the next codec', () => {
    // L16/48000 at 20 ms is 1920 bytes a packet: never answered, so never silently dropped.
    expectSdpError(() => answerOffer(offerWith(['m=audio 7000 RTP/AVP 96', 'a=rtpmap:96 L16/48000/1']), local), 'no-common-codec');
    expectSdpError(() => answerOffer(offerWith(['m=audio 7000 RTP/AVP 96', 'a=rtpmap:96 L16/48000/1', 'a=ptime:20']), local), 'no-common-codec');
    // 16 kHz at 60 ms is 1920 bytes too.
    expectSdpError(() => answerOffer(offerWith(['m=audio 7000 RTP/AVP 96', 'a=rtpmap:96 L16/16000/1', 'a=ptime:60']), local), 'no-common-codec');
    const withPcmu = offerWith(['m=audio 7000 RTP/AVP 96 0', 'a=rtpmap:96 L16/48000/1']);
    expect(answerOffer(withPcmu, { ...local, preferredCodec: 'l16' }).negotiated.codec.name).toBe('pcmu');
    // Our own offer cannot ask for it either.
    expect(() => createOffer({ localAddress: '192.0.2.10', localPort: 40000, codecs: ['l16'], l16Rate: 48000 })).toThrow(InvalidArgumentError);
    expect(createOffer({ localAddress: '192.0.2.10', localPort: 40000, codecs: ['l16'], l16Rate: 48000, ptimeMs: 10 }).offerSdp).toContain('L16/48000');
  });

  it("includes telephone-event only at the codec's clock rate", () => {
    const offer = offerWith(['m=audio 7000 RTP/AVP 111 101', 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:101 telephone-event/8000']);
    const { answerSdp, negotiated } = answerOffer(offer, local);
    expect(negotiated.telephoneEvent).toBeNull();
    expect(String(audioOf(answerSdp).audio.payloads)).toBe('111');
  });

  it('answers with the offer ptime when it is one we use, else 20 (or below maxptime)', () => {
    const cases: Array<[string[], number]> = [
      [['a=ptime:10'], 10],
      [['a=ptime:40'], 40],
      [['a=ptime:60'], 60],
      [['a=ptime:30'], 20],
      [[], 20],
      [['a=maxptime:10'], 10],
    ];
    for (const [lines, expected] of cases) {
      const { negotiated, answerSdp } = answerOffer(offerWith(['m=audio 7000 RTP/AVP 0', ...lines]), local);
      expect(negotiated.ptimeMs, lines.join()).toBe(expected);
      expect(audioOf(answerSdp).audio.ptime).toBe(expected);
    }
  });

  it('uses a=rtcp for the peer RTCP port and address', () => {
    const withAddress = answerOffer(offerWith(['m=audio 7000 RTP/AVP 0', 'a=rtcp:7101 IN IP4 203.0.113.77']), local).negotiated;
    expect(withAddress.remoteRtcp).toEqual({ address: '203.0.113.77', port: 7101 });
    const portOnly = answerOffer(offerWith(['m=audio 7000 RTP/AVP 0', 'a=rtcp:7101']), local).negotiated;
    expect(portOnly.remoteRtcp).toEqual({ address: '203.0.113.9', port: 7101 });
  });

  it('mirrors the direction, within what we want', () => {
    const cases: Array<[string, string, boolean, boolean]> = [
      ['sendrecv', 'sendrecv', true, true],
      ['sendonly', 'recvonly', false, true],
      ['recvonly', 'sendonly', true, false],
      ['inactive', 'inactive', false, false],
    ];
    for (const [offered, answered, send, receive] of cases) {
      const { negotiated, answerSdp } = answerOffer(offerWith(['m=audio 7000 RTP/AVP 0', `a=${offered}`]), local);
      expect(audioOf(answerSdp).audio.direction).toBe(answered);
      expect({ direction: negotiated.direction, send: negotiated.send, receive: negotiated.receive }).toEqual({ direction: answered, send, receive });
    }
    // Session-level direction applies when the m-line has none.
    expect(answerOffer(offerWith(['m=audio 7000 RTP/AVP 0'], ['c=IN IP4 203.0.113.9', 'a=sendonly']), local).negotiated.direction).toBe('recvonly');
    // We hold the peer: sendonly within its sendrecv.
    const held = answerOffer(offerWith(['m=audio 7000 RTP/AVP 0']), { ...local, direction: 'sendonly' }).negotiated;
    expect([held.direction, held.send, held.receive]).toEqual(['sendonly', true, false]);
  });

  it('takes c= from the media level over the session level, IPv4 and IPv6', () => {
    const offer = offerWith(['m=audio 7000 RTP/AVP 0', 'c=IN IP6 2001:db8::5'], ['c=IN IP4 203.0.113.9']);
    const { negotiated, answerSdp } = answerOffer(offer, { localAddress: '2001:db8::1', localPort: 40002 });
    expect(negotiated.remote).toEqual({ address: '2001:db8::5', port: 7000, family: 6 });
    expect(negotiated.remoteRtcp).toEqual({ address: '2001:db8::5', port: 7001 });
    const { parsed } = audioOf(answerSdp);
    expect(parsed.connection).toEqual({ version: 6, ip: '2001:db8::1' });
    expect(parsed.origin.ipVer).toBe(6);
  });

  it('sends nothing to c=0.0.0.0 (the old hold)', () => {
    const { negotiated } = answerOffer(offerWith(['m=audio 7000 RTP/AVP 0'], ['c=IN IP4 0.0.0.0']), local);
    expect([negotiated.send, negotiated.receive]).toEqual([false, true]);
  });

  it('refuses other m-lines with port 0, in the offer order', () => {
    const offer = offerWith(['m=video 7002 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', 'm=audio 7000 RTP/AVP 8']);
    const { answerSdp, negotiated } = answerOffer(offer, local);
    const { parsed } = audioOf(answerSdp);
    expect(parsed.media.map((media) => [media.type, media.port])).toEqual([
      ['video', 0],
      ['audio', 40000],
    ]);
    expect(negotiated.codec.name).toBe('pcma');
    // A rejected audio line is skipped for the next one.
    const second = answerOffer(offerWith(['m=audio 0 RTP/AVP 0', 'm=audio 7004 RTP/AVP 8']), local).negotiated;
    expect([second.remote.port, second.codec.name]).toEqual([7004, 'pcma']);
  });
});

describe('answerOffer: re-offers', () => {
  it('keeps the origin, bumps the version on a change, and reports the change', () => {
    const first = answerOffer(gatewayOffer, local);
    const firstOrigin = audioOf(first.answerSdp).parsed.origin;

    // A session refresh with the same SDP: the same answer, the same version (RFC 3264 section 8).
    const refresh = answerOffer(gatewayOffer, { ...local, previous: first.state });
    expect(refresh.answerSdp).toBe(first.answerSdp);
    expect(refresh.negotiated.sessionVersion).toBe(first.negotiated.sessionVersion);

    // Hold: the peer goes sendonly.
    const hold = answerOffer(gatewayOffer.replace('a=sendrecv', 'a=sendonly'), { ...local, previous: refresh.state });
    const holdOrigin = audioOf(hold.answerSdp).parsed.origin;
    expect(String(holdOrigin.sessionId)).toBe(String(firstOrigin.sessionId));
    expect(holdOrigin.sessionVersion).toBe(firstOrigin.sessionVersion + 1);
    expect(hold.negotiated).toMatchObject({ direction: 'recvonly', send: false, receive: true, sessionId: first.negotiated.sessionId });

    // Inactive, then a move to another address with PCMA only.
    const inactive = answerOffer(gatewayOffer.replace('a=sendrecv', 'a=inactive'), { ...local, previous: hold.state });
    expect(inactive.negotiated).toMatchObject({ direction: 'inactive', send: false, receive: false, sessionVersion: firstOrigin.sessionVersion + 2 });
    const moved = gatewayOffer.replace('c=IN IP4 203.0.113.5', 'c=IN IP4 203.0.113.99').replace('RTP/AVP 0 8 101', 'RTP/AVP 8 101');
    const resumed = answerOffer(moved, { ...local, previous: inactive.state });
    expect(resumed.negotiated).toMatchObject({
      direction: 'sendrecv',
      send: true,
      receive: true,
      remote: { address: '203.0.113.99', port: 16384, family: 4 },
      codec: { name: 'pcma', payloadType: 8 },
      sessionVersion: firstOrigin.sessionVersion + 3,
    });
  });
});

describe('answerOffer: errors', () => {
  const base = (...media: string[]) => sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.9', 's=-', 'c=IN IP4 203.0.113.9', 't=0 0', ...media);

  it('no common codec', () => {
    expectSdpError(() => answerOffer(base('m=audio 7000 RTP/AVP 9 18', 'a=rtpmap:9 G722/8000', 'a=rtpmap:18 G729/8000'), local), 'no-common-codec');
    // A dynamic type with no rtpmap names nothing.
    expectSdpError(() => answerOffer(base('m=audio 7000 RTP/AVP 96'), local), 'no-common-codec');
  });

  it('no audio', () => {
    expectSdpError(() => answerOffer(base('m=video 7000 RTP/AVP 96', 'a=rtpmap:96 VP8/90000'), local), 'no-audio');
  });

  it('a rejected audio stream', () => {
    expectSdpError(() => answerOffer(base('m=audio 0 RTP/AVP 0'), local), 'port-zero');
  });

  it('an SRTP or DTLS transport', () => {
    expectSdpError(() => answerOffer(base('m=audio 7000 RTP/SAVP 0'), local), 'unsupported-transport');
    expectSdpError(() => answerOffer(base('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2'), local), 'unsupported-transport');
  });

  it('a bad connection line', () => {
    const withConnection = (line: string | null) =>
      sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.9', 's=-', ...(line ? [line] : []), 't=0 0', 'm=audio 7000 RTP/AVP 0');
    for (const line of [
      null,
      'c=IN IP4 pbx.example.com',
      'c=IN IP4 224.2.1.1/127',
      'c=IN IP4 239.1.2.3',
      'c=IN IP6 ff02::1',
      'c=IN IP4 2001:db8::1',
      'c=IN IP4 300.1.1.1',
      'c=ATM NSAP 47.0005.80.ffe100.0000.f21a.01a8.0020481b1c3f.00',
    ]) {
      expectSdpError(() => answerOffer(withConnection(line), local), 'bad-connection');
    }
  });

  it('garbage', () => {
    for (const text of [
      '',
      'hello world',
      'o=- 1 1 IN IP4 203.0.113.9\r\nm=audio 7000 RTP/AVP 0\r\n', // no v=0
      base('m=audio 7000 RTP/AVP 97 abc', 'a=rtpmap:97 opus/48000/2'),
      base('m=audio 7000 RTP/AVP 300'),
      base('m=audio 7000 RTP/AVP'),
      base('m=audio port RTP/AVP 0'),
      sdp('v=0', 's=-', 'c=IN IP4 203.0.113.9', 't=0 0', 'm=audio 7000 RTP/AVP 0'), // no o=
    ]) {
      expectSdpError(() => answerOffer(text, local), 'malformed');
    }
  });

  it('a session without any m= line is no-audio', () => {
    expectSdpError(() => answerOffer(sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.9', 's=-', 'c=IN IP4 203.0.113.9', 't=0 0'), local), 'no-audio');
    expectSdpError(() => applyAnswer(createOffer(local).state, sdp('v=0', 'o=- 1 1 IN IP4 203.0.113.9', 's=-', 'c=IN IP4 203.0.113.9', 't=0 0')), 'no-audio');
  });

  it("a peer's SDP over MAX_SDP_BYTES is an SdpError 'too-large'; one at the limit is read", () => {
    const filler = (bytes: number) => `a=x:${'y'.repeat(bytes - 6)}\r\n`;
    const over = ffmpegPcmuOffer + filler(MAX_SDP_BYTES - Buffer.byteLength(ffmpegPcmuOffer) + 1);
    expect(Buffer.byteLength(over)).toBe(MAX_SDP_BYTES + 1);
    expectSdpError(() => answerOffer(over, local), 'too-large');
    expectSdpError(() => negotiateOffer(over), 'too-large');
    expectSdpError(() => applyAnswer(createOffer(local).state, over), 'too-large');
    const at = ffmpegPcmuOffer + filler(MAX_SDP_BYTES - Buffer.byteLength(ffmpegPcmuOffer));
    expect(Buffer.byteLength(at)).toBe(MAX_SDP_BYTES);
    expect(answerOffer(at, local).negotiated.codec.name).toBe('pcmu');
  });

  it('refuses bad arguments with InvalidArgumentError and no answer', () => {
    const bad: Array<() => unknown> = [
      () => answerOffer(42 as never, local),
      () => answerOffer(undefined as never, local),
      () => answerOffer(ffmpegPcmuOffer, { ...local, localAddress: 'pbx.example.com' }),
      () => answerOffer(ffmpegPcmuOffer, { ...local, localPort: 0 }),
      () => answerOffer(ffmpegPcmuOffer, { ...local, localPort: 70000 }),
      () => answerOffer(ffmpegPcmuOffer, { ...local, preferredCodec: 'g729' as never }),
      () => answerOffer(ffmpegPcmuOffer, { ...local, sessionName: 'x\r\na=inject' }),
      () => answerOffer(ffmpegPcmuOffer, { ...local, opus: { bitrate: 100 } }),
      () => answerOffer(ffmpegPcmuOffer, { ...local, direction: 'both' as never }),
      () => answerOffer(ffmpegPcmuOffer, { ...local, previous: { origin: { sessionId: 'x', sessionVersion: 1 }, sdp: '' } }),
      () => answerOffer(ffmpegPcmuOffer, null as never),
    ];
    for (const fn of bad) {
      expect(fn).toThrow(InvalidArgumentError);
      expect(fn).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    }
  });
});

describe('createOffer / applyAnswer', () => {
  const us = { localAddress: '192.0.2.20', localPort: 30000 };
  const peer: AnswerOfferOptions = { localAddress: '198.51.100.30', localPort: 50000 };

  it('offers opus, PCMU and PCMA with telephone-events at their rates by default', () => {
    const { offerSdp, state } = createOffer({ ...us, sessionId: '12345', sessionVersion: 7 });
    const { parsed, audio } = audioOf(offerSdp);
    expect(parsed.origin).toMatchObject({ sessionId: 12345, sessionVersion: 7, address: '192.0.2.20' });
    expect(String(audio.payloads)).toBe('111 0 8 110 101');
    expect(audio.rtp).toContainEqual({ payload: 111, codec: 'opus', rate: 48000, encoding: 2 });
    expect(audio.rtcpMux).toBe('rtcp-mux');
    expect(audio.ptime).toBe(20);
    expect(state.offered.map((codec) => [codec.name, codec.payloadType])).toEqual([
      ['opus', 111],
      ['pcmu', 0],
      ['pcma', 8],
    ]);
    expect(state.telephoneEvents).toEqual([
      { payloadType: 110, clockRate: 48000 },
      { payloadType: 101, clockRate: 8000 },
    ]);
  });

  it('round-trips through our own answerer: both sides agree', () => {
    const { offerSdp, state } = createOffer({ ...us, codecs: ['pcma', 'opus'], ptimeMs: 40, opus: { fec: true } });
    const answer = answerOffer(offerSdp, peer);
    const ours = applyAnswer(state, answer.answerSdp);
    const theirs = answer.negotiated;
    expect(ours.codec).toMatchObject({ name: 'pcma', payloadType: 8 });
    expect(theirs.codec).toMatchObject({ name: 'pcma', payloadType: 8 });
    expect(ours.telephoneEvent).toEqual({ payloadType: 101, clockRate: 8000 });
    expect(theirs.telephoneEvent).toEqual(ours.telephoneEvent);
    expect([ours.ptimeMs, theirs.ptimeMs]).toEqual([40, 40]);
    expect(ours.remote).toEqual({ address: '198.51.100.30', port: 50000, family: 4 });
    expect(theirs.remote).toEqual({ address: '192.0.2.20', port: 30000, family: 4 });
    expect([ours.remoteRtcp, theirs.remoteRtcp]).toEqual(['mux', 'mux']);
    expect([ours.send, ours.receive, theirs.send, theirs.receive]).toEqual([true, true, true, true]);
    expect(ours.remoteSessionId).toBe(theirs.sessionId);
    expect(theirs.remoteSessionId).toBe(ours.sessionId);
  });

  it('negotiates Opus parameters both ways', () => {
    const { offerSdp, state } = createOffer({ ...us, codecs: ['opus'], opus: { dtx: true, bitrate: 24000 } });
    expect(audioOf(offerSdp).audio.fmtp).toContainEqual({ payload: 111, config: 'minptime=10;useinbandfec=1;usedtx=1;maxaveragebitrate=24000' });
    const answer = answerOffer(offerSdp, { ...peer, opus: { bitrate: 32000 } });
    // The answerer asked for at most 32 kbit/s: our encoder stays at our 24 kbit/s.
    expect(applyAnswer(state, answer.answerSdp).codec).toMatchObject({ name: 'opus', fec: true, dtx: true, maxAverageBitrate: 32000, bitrate: 24000 });
    // The answerer caps below our wish, and sees our usedtx=1 as its DTX.
    expect(answer.negotiated.codec).toMatchObject({ dtx: true, fec: true, maxAverageBitrate: 24000, bitrate: 24000 });
  });

  it("follows the answer's direction, RTCP and ptime", () => {
    const { offerSdp, state } = createOffer({ ...us, codecs: ['pcmu'], rtcpMux: false, telephoneEvent: false });
    expect(String(audioOf(offerSdp).audio.payloads)).toBe('0');
    const answer = sdp('v=0', 'o=peer 99 3 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', 'm=audio 50000 RTP/AVP 0', 'a=ptime:60', 'a=recvonly', 'a=rtcp-mux');
    const negotiated = applyAnswer(state, answer);
    expect(negotiated).toMatchObject({
      codec: { name: 'pcmu', payloadType: 0 },
      telephoneEvent: null,
      ptimeMs: 60,
      direction: 'sendrecv',
      send: true,
      receive: false,
      // We did not offer mux: RTCP goes to the next port.
      remoteRtcp: { address: '198.51.100.30', port: 50001 },
      rtcpMux: false,
      remoteSessionId: '99',
      remoteSessionVersion: 3,
    });
  });

  it('refuses an answer that picks what we did not offer, or rejects the stream', () => {
    const { state } = createOffer({ ...us, codecs: ['opus'] });
    const answer = (media: string) => sdp('v=0', 'o=- 1 1 IN IP4 198.51.100.30', 's=-', 'c=IN IP4 198.51.100.30', 't=0 0', media);
    expectSdpError(() => applyAnswer(state, answer('m=audio 50000 RTP/AVP 0')), 'no-common-codec');
    expectSdpError(() => applyAnswer(state, answer('m=audio 0 RTP/AVP 111')), 'port-zero');
    expectSdpError(() => applyAnswer(state, 'v=0\r\n'), 'malformed');
    // An answer may renumber: matched by codec, sent with the answer's number.
    expect(applyAnswer(state, answer('m=audio 50000 RTP/AVP 96\r\na=rtpmap:96 opus/48000/2')).codec.payloadType).toBe(96);
  });

  it('refuses bad arguments with InvalidArgumentError', () => {
    const bad: Array<() => unknown> = [
      () => createOffer({ ...us, codecs: [] }),
      () => createOffer({ ...us, codecs: ['pcmu', 'pcmu'] }),
      () => createOffer({ ...us, codecs: ['g722' as never] }),
      () => createOffer({ ...us, ptimeMs: 30 as never }),
      () => createOffer({ ...us, sessionId: 'abc' }),
      () => createOffer({ ...us, sessionVersion: -1 }),
      () => createOffer({ ...us, l16Rate: 44100 as never }),
      () => createOffer({ ...us, localAddress: '' }),
      () => applyAnswer({} as never, ffmpegPcmuOffer),
      () => applyAnswer(createOffer(us).state, 5 as never),
    ];
    for (const fn of bad) expect(fn).toThrow(InvalidArgumentError);
  });
});

describe('negotiateOffer / writeAnswer: deciding before the port is known', () => {
  it('decides everything but our o= line and port, then writes what answerOffer writes', () => {
    const negotiation = negotiateOffer(gatewayOffer);
    expect(negotiation.negotiated).toMatchObject({
      codec: { name: 'pcmu', payloadType: 0 },
      telephoneEvent: { payloadType: 101, clockRate: 8000 },
      remote: { address: '203.0.113.5', port: 16384, family: 4 },
      direction: 'sendrecv',
    });
    expect(negotiation.negotiated).not.toHaveProperty('sessionId');
    const written = writeAnswer(negotiation, local);
    const direct = answerOffer(gatewayOffer, local);
    const withoutOrigin = (text: string) => text.replace(/^o=.*$/m, '');
    expect(withoutOrigin(written.answerSdp)).toBe(withoutOrigin(direct.answerSdp));
    expect(audioOf(written.answerSdp).audio.port).toBe(40000);
    expect({ ...written.negotiated, sessionId: '' }).toEqual({ ...direct.negotiated, sessionId: '' });
  });

  it('fails on an offer that cannot work with no port or address given at all', () => {
    expectSdpError(() => negotiateOffer(ffmpegPcmuOffer.replace('RTP/AVP 0', 'RTP/AVP 9')), 'no-common-codec');
    expectSdpError(() => negotiateOffer('garbage'), 'malformed');
  });

  it('writes the packet time we send when told, whatever the offer asked', () => {
    const offer = gatewayOffer.replace('a=ptime:20', 'a=ptime:30');
    const { negotiated, answerMedia, audioIndex } = negotiateOffer(offer, { ptimeMs: 40 });
    expect(negotiated.ptimeMs).toBe(40);
    expect(answerMedia[audioIndex].ptime).toBe(40);
    expect(() => negotiateOffer(offer, { ptimeMs: 30 as never })).toThrow(InvalidArgumentError);
  });

  it('names our RTCP port (RFC 3605) only without rtcp-mux and off the next port', () => {
    const rtcpOf = (text: string) => audioOf(text).audio.rtcp;
    const noMux = negotiateOffer(gatewayOffer);
    expect(rtcpOf(writeAnswer(noMux, { ...local, localRtcpPort: 40006 }).answerSdp)).toEqual({ port: 40006, netType: 'IN', ipVer: 4, address: '192.0.2.10' });
    expect(rtcpOf(writeAnswer(noMux, { ...local, localRtcpPort: 40001 }).answerSdp)).toBeUndefined();
    expect(rtcpOf(writeAnswer(negotiateOffer(webrtcOffer), { ...local, localRtcpPort: 40006 }).answerSdp)).toBeUndefined();
    expect(rtcpOf(createOffer({ localAddress: '192.0.2.20', localPort: 30000, rtcpMux: false, localRtcpPort: 30010 }).offerSdp)).toMatchObject({ port: 30010 });
    expect(rtcpOf(createOffer({ localAddress: '192.0.2.20', localPort: 30000, localRtcpPort: 30010 }).offerSdp)).toBeUndefined();
  });

  it('refuses what negotiateOffer did not return, and bad ports', () => {
    const negotiation = negotiateOffer(gatewayOffer);
    expect(() => writeAnswer({} as never, local)).toThrow(InvalidArgumentError);
    expect(() => writeAnswer({ ...negotiation, audioIndex: 5 }, local)).toThrow(InvalidArgumentError);
    expect(() => writeAnswer(negotiation, { ...local, localRtcpPort: 0 })).toThrow(InvalidArgumentError);
    expect(() => writeAnswer(negotiation, { ...local, localPort: 65536 })).toThrow(InvalidArgumentError);
    expect(() => negotiateOffer(gatewayOffer, null as never)).toThrow(InvalidArgumentError);
  });
});
