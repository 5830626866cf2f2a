// The WebRTC leg's own SDP checks: what an offer must carry (DTLS-SRTP, ICE, a codec we speak),
// which codec and Opus settings it settles, and trickle fragments (RFC 8840).
import { describe, expect, it } from 'vitest';
import { SdpError } from '../../src/index.ts';
import { checkWebrtcSdp, parseTrickleFragment } from '../../src/legs/webrtc/sdp.ts';

const OFFER = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 110',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuv',
  'a=setup:actpass',
  'a=rtcp-mux',
  'a=sendrecv',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:110 telephone-event/48000',
  '',
].join('\r\n');

function reason(sdp: string): string {
  try {
    checkWebrtcSdp(sdp);
  } catch (error) {
    expect(error).toBeInstanceOf(SdpError);
    return (error as SdpError).reason;
  }
  throw new Error('accepted');
}

describe('WebRTC offers', () => {
  it('settles Opus first with the peer FEC and DTX wishes, then PCMU, then PCMA', () => {
    expect(checkWebrtcSdp(OFFER)).toEqual({ codec: 'opus', fec: true, dtx: false });
    expect(checkWebrtcSdp(OFFER.replace('useinbandfec=1', 'usedtx=1'))).toEqual({ codec: 'opus', fec: false, dtx: true });
    expect(checkWebrtcSdp(OFFER.replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 G729/8000'))).toMatchObject({ codec: 'pcmu' });
    expect(checkWebrtcSdp(OFFER.replace('a=rtpmap:111 opus/48000/2', 'a=rtpmap:111 x/8000').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 y/8000'))).toMatchObject({ codec: 'pcma' });
  });

  it('refuses what cannot be DTLS-SRTP audio with a stable reason', () => {
    expect(reason(OFFER.replace(/^a=fingerprint:.*\r\n/m, ''))).toBe('no-fingerprint');
    expect(reason(OFFER.replace('UDP/TLS/RTP/SAVPF', 'RTP/AVP'))).toBe('unsupported-transport');
    expect(reason(OFFER.replace('m=audio 9', 'm=video 9'))).toBe('no-audio');
    expect(reason(OFFER.replace('m=audio 9', 'm=audio 0'))).toBe('port-zero');
    expect(reason(OFFER.replace(/^a=ice-pwd:.*\r\n/m, ''))).toBe('malformed');
    expect(reason(OFFER.replace(/opus\/48000\/2|PCMU\/8000|PCMA\/8000/g, 'G722/8000'))).toBe('no-common-codec');
    expect(reason('GET / HTTP/1.1')).toBe('malformed');
    expect(reason(`${OFFER}a=x:${'y'.repeat(70_000)}\r\n`)).toBe('too-large');
    expect(() => checkWebrtcSdp(42)).toThrow(/must be a string/);
  });
});

describe('trickle fragments', () => {
  it('reads candidates, end-of-candidates and the ufrag', () => {
    const fragment = 'a=ice-ufrag:abcd\r\na=ice-pwd:x\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\na=end-of-candidates\r\n';
    expect(parseTrickleFragment(fragment)).toEqual({ candidates: ['candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host'], endOfCandidates: true, iceUfrag: 'abcd' });
  });

  it('refuses what is not a fragment', () => {
    expect(() => parseTrickleFragment('')).toThrow(SdpError);
    expect(() => parseTrickleFragment('hello')).toThrow(/not an SDP fragment/);
    expect(() => parseTrickleFragment('a=candidate:1 1 udp\r\n')).toThrow(/incomplete/);
  });
});
