import { describe, expect, it } from 'vitest';
import { JitterBuffer, parseRtp, rtpRejectReasons, type RtpRejectReason } from '../../src/native/testing/rtp.ts';
import { buildRtpPacket, seededRandom } from '../helpers/rtp.ts';

function reasonOf(bytes: Uint8Array): string {
  const result = parseRtp(bytes);
  return result.ok ? 'ok' : result.reason;
}

describe('parseRtp', () => {
  it('reads every header field, CSRCs, extension and padding', () => {
    const bytes = buildRtpPacket({
      marker: true,
      payloadType: 111,
      sequence: 0xfffe,
      timestamp: 0xdeadbeef,
      ssrc: 0xcafebabe,
      csrcs: [1, 0xffffffff, 77],
      extension: { profile: 0xbede, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
      payload: new Uint8Array([9, 8, 7]),
      paddingBytes: 5,
    });
    const packet = parseRtp(bytes);
    expect(packet).toEqual({
      ok: true,
      version: 2,
      padding: true,
      extension: true,
      csrcs: [1, 0xffffffff, 77],
      marker: true,
      payloadType: 111,
      sequence: 0xfffe,
      timestamp: 0xdeadbeef,
      ssrc: 0xcafebabe,
      extensionProfile: 0xbede,
      extensionData: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      paddingSize: 5,
      payload: new Uint8Array([9, 8, 7]),
    });
  });

  it('accepts a bare 12-byte header with an empty payload', () => {
    const packet = parseRtp(buildRtpPacket({ sequence: 1 }));
    expect(packet.ok).toBe(true);
    if (packet.ok) {
      expect(packet.payload.length).toBe(0);
      expect(packet.csrcs).toEqual([]);
    }
  });

  it('accepts padding that takes the whole payload', () => {
    const packet = parseRtp(buildRtpPacket({ paddingBytes: 4 }));
    expect(packet.ok && packet.payload.length).toBe(0);
  });

  it('rejects each malformed class with its reason', () => {
    const valid = buildRtpPacket({ payload: new Uint8Array([1, 2, 3, 4]) });
    expect(reasonOf(new Uint8Array(0))).toBe('too-short');
    expect(reasonOf(valid.subarray(0, 11))).toBe('too-short');
    for (const version of [0, 1, 3]) {
      expect(reasonOf(buildRtpPacket({ version, payload: new Uint8Array(8) }))).toBe('bad-version');
    }
    // Three CSRCs claimed, two present.
    const csrcShort = buildRtpPacket({ csrcs: [1, 2] });
    csrcShort[0] = (csrcShort[0] & 0xf0) | 3;
    expect(reasonOf(csrcShort)).toBe('csrc-overrun');
    expect(reasonOf(buildRtpPacket({ csrcCount: 15, payload: new Uint8Array(56) }))).toBe('csrc-overrun');
    // Extension bit with no room for its header.
    const noExtensionHeader = buildRtpPacket({ payload: new Uint8Array(2) });
    noExtensionHeader[0] |= 0x10;
    expect(reasonOf(noExtensionHeader)).toBe('extension-overrun');
    // Extension length past the end.
    const longExtension = buildRtpPacket({
      extension: { profile: 0xbede, data: new Uint8Array(8) },
      payload: new Uint8Array(3),
    });
    longExtension[15] = 4; // claims 16 body bytes, 11 remain
    expect(reasonOf(longExtension)).toBe('extension-overrun');
    // Padding count 0, and padding longer than the payload.
    const zeroPad = buildRtpPacket({ payload: new Uint8Array([1, 2, 3, 0]), forcePaddingBit: true });
    expect(reasonOf(zeroPad)).toBe('bad-padding');
    const longPad = buildRtpPacket({ payload: new Uint8Array([1, 2, 3, 9]), forcePaddingBit: true });
    expect(reasonOf(longPad)).toBe('bad-padding');
    expect(reasonOf(buildRtpPacket({ forcePaddingBit: true }))).toBe('bad-padding');
    // Padding may not reach back into the extension.
    const padIntoExtension = buildRtpPacket({
      extension: { profile: 1, data: new Uint8Array(4) },
      payload: new Uint8Array([1, 3]),
      forcePaddingBit: true,
    });
    expect(reasonOf(padIntoExtension)).toBe('bad-padding');
  });

  it('classifies rtcp-mux packets (second byte 200..204) as not RTP', () => {
    for (const type of [200, 201, 202, 203, 204]) {
      const rtcp = new Uint8Array(28);
      rtcp[0] = 0x81;
      rtcp[1] = type;
      expect(reasonOf(rtcp)).toBe('not-rtp');
      expect(reasonOf(rtcp.subarray(0, 8))).toBe('not-rtp');
    }
    // Marker + payload type 72..76 is the same second byte: RFC 5761 reserves it for RTCP.
    expect(reasonOf(buildRtpPacket({ marker: true, payloadType: 72, payload: new Uint8Array(4) }))).toBe('not-rtp');
    // Neighbouring values are RTP.
    expect(reasonOf(buildRtpPacket({ marker: true, payloadType: 71 }))).toBe('ok');
    expect(reasonOf(buildRtpPacket({ marker: true, payloadType: 77 }))).toBe('ok');
  });

  it('throws ERR_INVALID_ARGUMENT for a non-byte argument', () => {
    expect(() => parseRtp('nope' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }));
    expect(() => parseRtp(new Uint16Array(12) as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('survives 10,000 random byte strings: each counted once, valid ones consistent', () => {
    const random = seededRandom(4733);
    const tally = new Map<string, number>();
    const jb = new JitterBuffer({ clockRate: 8000, frameSamples: 160 });
    let valid = 0;
    for (let i = 0; i < 10_000; i++) {
      const length = Math.floor(random() * 48);
      const bytes = new Uint8Array(length);
      for (let j = 0; j < length; j++) bytes[j] = Math.floor(random() * 256);
      // Half start as version 2 so the deeper checks get exercised too.
      if (length > 0 && i % 2 === 0) bytes[0] = (bytes[0] & 0x3f) | 0x80;
      const result = parseRtp(bytes);
      const key = result.ok ? 'ok' : result.reason;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      const status = jb.push(bytes, i);
      expect(status === 'invalid').toBe(!result.ok);
      jb.pop();
      if (!result.ok) continue;
      valid++;
      // An independent reading of the same bytes.
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(result.version).toBe(2);
      expect(result.marker).toBe((bytes[1] & 0x80) !== 0);
      expect(result.payloadType).toBe(bytes[1] & 0x7f);
      expect(result.sequence).toBe(view.getUint16(2));
      expect(result.timestamp).toBe(view.getUint32(4));
      expect(result.ssrc).toBe(view.getUint32(8));
      expect(result.csrcs.length).toBe(bytes[0] & 0x0f);
      const extensionBytes = result.extension ? 4 + (result.extensionData?.length ?? -1e9) : 0;
      const header = 12 + 4 * result.csrcs.length + extensionBytes;
      expect(header + result.payload.length + result.paddingSize).toBe(length);
      expect(result.payload).toEqual(bytes.subarray(header, header + result.payload.length));
      if (result.padding) expect(result.paddingSize).toBe(bytes[length - 1]);
    }
    let total = 0;
    for (const count of tally.values()) total += count;
    expect(total).toBe(10_000);
    expect(valid).toBeGreaterThan(100);
    for (const reason of ['too-short', 'bad-version', 'csrc-overrun', 'extension-overrun', 'bad-padding'] as const) {
      expect(tally.get(reason) ?? 0).toBeGreaterThan(0);
    }
    // The jitter buffer counted the same rejections by reason.
    const rejected = jb.stats().rejected;
    for (const reason of rtpRejectReasons) {
      expect(rejected[reason as RtpRejectReason]).toBe(tally.get(reason) ?? 0);
    }
  });
});
