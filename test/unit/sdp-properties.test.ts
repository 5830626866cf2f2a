// Property tests of the SDP offer/answer code against a corpus of real-world SDPs (browsers, SIP
// phones, gateways, ffmpeg) and random mutations of them: every input either negotiates to a
// well-formed answer or is refused with an SdpError and a stable reason, never anything else.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { answerOffer, applyAnswer, createOffer, MAX_SDP_BYTES, SdpError, type SdpErrorReason } from '../../src/legs/rtp/sdp.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'sdp');
const CORPUS = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.sdp'))
  .sort()
  .map((name) => ({ name, sdp: readFileSync(join(FIXTURES, name), 'utf8') }));
const REASONS: readonly SdpErrorReason[] = ['malformed', 'no-audio', 'port-zero', 'unsupported-transport', 'bad-connection', 'no-common-codec', 'too-large'];
const LOCAL = { localAddress: '192.0.2.10', localPort: 40000 };
const LOCAL6 = { localAddress: '2001:db8::10', localPort: 40000 };

/** What each corpus SDP gets as an offer: the codec we answer with, or the SdpError reason. */
const EXPECTED: Record<string, string> = {
  'asterisk-pbx.sdp': 'pcma',
  'chrome-webrtc.sdp': 'unsupported-transport', // DTLS-SRTP: for the WebRTC leg, not plain RTP
  'cisco-gateway.sdp': 'pcmu',
  'ffmpeg-l16.sdp': 'l16',
  'ffmpeg-opus.sdp': 'opus',
  'firefox-webrtc.sdp': 'unsupported-transport',
  'freeswitch-gateway.sdp': 'opus',
  'hold-reinvite.sdp': 'pcmu',
  'polycom-phone.sdp': 'pcmu', // G.722 and G.722.1 first: we speak neither
  'sbc-two-audio.sdp': 'unsupported-transport', // the first live audio line decides: SRTP
  'yealink-phone.sdp': 'pcmu',
  'zoiper-ipv6.sdp': 'opus',
};

/** The offer's outcome: the codec answered, or the SdpError reason; anything else fails. */
function outcome(sdp: string): string {
  try {
    const ipv6 = /c=IN IP6/.test(sdp);
    const { negotiated, answerSdp } = answerOffer(sdp, ipv6 ? LOCAL6 : LOCAL);
    // A well-formed answer: parsable, our port on the one audio line we took, the codec we chose.
    const answer = parse(answerSdp);
    const audio = answer.media.filter((media) => media.port !== 0);
    expect(audio).toHaveLength(1);
    expect(audio[0].port).toBe(LOCAL.localPort);
    expect(audio[0].rtp.map((rtp) => rtp.payload)).toContain(negotiated.codec.payloadType);
    expect(Buffer.byteLength(answerSdp)).toBeLessThan(MAX_SDP_BYTES);
    return negotiated.codec.name;
  } catch (error) {
    if (!(error instanceof SdpError)) throw error;
    expect(REASONS).toContain(error.reason);
    expect(error.code).toBe('ERR_SDP');
    expect(error.message.length).toBeGreaterThan(10);
    return error.reason;
  }
}

type Mutation = (lines: string[]) => string[];

const anyLine = fc.nat();
const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\0', '\r', '\n', '\r\n', ' ', '=', ':', '/', '-1', '65536', '4294967296', '1e309', 'NaN', 'IN IP4', 'IN IP6 ::', 'RTP/SAVP', '0.0.0.0', '224.0.0.1'),
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  anyLine.map((i): Mutation => (lines) => lines.filter((_, k) => k !== i % lines.length)),
  anyLine.map((i): Mutation => (lines) => [...lines.slice(0, (i % lines.length) + 1), ...lines.slice(i % lines.length)]),
  fc.tuple(anyLine, anyLine).map(([i, j]): Mutation => (lines) => {
    const out = [...lines];
    const [a, b] = [i % out.length, j % out.length];
    [out[a], out[b]] = [out[b], out[a]];
    return out;
  }),
  fc.tuple(anyLine, fc.nat(), junk).map(([i, at, text]): Mutation => (lines) =>
    lines.map((line, k) => (k === i % lines.length ? line.slice(0, at % (line.length + 1)) + text + line.slice(at % (line.length + 1)) : line)),
  ),
  fc.tuple(anyLine, fc.oneof(fc.integer(), fc.constantFrom(-1, 0, 127, 128, 65535, 65536, 2 ** 32, 2 ** 53))).map(([i, value]): Mutation => (lines) =>
    lines.map((line, k) => (k === i % lines.length ? line.replace(/\d+/, String(value)) : line)),
  ),
  fc.tuple(anyLine, fc.nat()).map(([i, at]): Mutation => (lines) => lines.map((line, k) => (k === i % lines.length ? line.slice(0, at % (line.length + 1)) : line))),
  fc.tuple(anyLine, fc.constantFrom('a=', 'm=', 'c=', 'o=', 'v=', 't=', 'b=', 'a=rtpmap:', 'a=fmtp:', 'a=rtcp:', 'a=ptime:'), junk).map(([i, prefix, text]): Mutation => (lines) => [
    ...lines.slice(0, i % lines.length),
    prefix + text,
    ...lines.slice(i % lines.length),
  ]),
);

const mutated = fc.tuple(fc.constantFrom(...CORPUS), fc.array(mutation, { minLength: 1, maxLength: 5 }), fc.constantFrom('\r\n', '\n')).map(([entry, mutations, eol]) => {
  let lines = entry.sdp.split('\r\n').filter((line) => line !== '');
  for (const mutate of mutations) lines = mutate(lines.length > 0 ? lines : ['v=0']);
  return lines.join(eol) + eol;
});

describe('the SDP corpus', () => {
  it('holds browsers, SIP phones, gateways and ffmpeg', () => {
    expect(CORPUS.map((entry) => entry.name)).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(CORPUS.map((entry) => [entry.name, entry.sdp]))('%s is answered as expected', (name, sdp) => {
    expect(outcome(sdp)).toBe(EXPECTED[name]);
  });
});

describe('SDP offers, mutated', () => {
  it('are answered with a well-formed answer or refused with an SdpError, never anything else', () => {
    fc.assert(
      fc.property(mutated, (sdp) => {
        outcome(sdp);
      }),
      { numRuns: 1500, seed: 0x5dc0 },
    );
  });

  it('arbitrary text and bytes are refused as SdpErrors', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 500 }), fc.string({ unit: 'binary', maxLength: 500 }), fc.uint8Array({ maxLength: 500 }).map((b) => Buffer.from(b).toString('latin1'))), (text) => {
        expect(REASONS).toContain(outcome(text));
      }),
      { numRuns: 1000, seed: 0x5dc1 },
    );
  });
});

describe('SDP answers to our offer, mutated', () => {
  it('are applied or refused with an SdpError, and an applied one picks a codec we offered', () => {
    const { state } = createOffer({ ...LOCAL, codecs: ['opus', 'pcmu', 'pcma', 'l16'] });
    fc.assert(
      fc.property(mutated, (sdp) => {
        try {
          const negotiated = applyAnswer(state, sdp);
          expect(['opus', 'pcmu', 'pcma', 'l16']).toContain(negotiated.codec.name);
          expect(negotiated.remote.port).toBeGreaterThanOrEqual(0);
          expect(negotiated.remote.port).toBeLessThanOrEqual(65535);
        } catch (error) {
          if (!(error instanceof SdpError)) throw error;
          expect(REASONS).toContain(error.reason);
        }
      }),
      { numRuns: 1000, seed: 0x5dc2 },
    );
  });
});
