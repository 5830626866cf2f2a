// Writes the seed inputs of fuzz/corpus/<target>/: valid inputs of each format, inputs that once
// broke confmix (kept as regression cases), and edge cases. Run once after a format changes:
//   npx tsx fuzz/make-seeds.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodecEncoder } from '../src/native/codecs.ts';

const corpus = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

function write(target: string, name: string, bytes: Uint8Array | number[]): void {
  mkdirSync(join(corpus, target), { recursive: true });
  writeFileSync(join(corpus, target, name), Uint8Array.from(bytes));
}

function rtp(pt: number, seq: number, ts: number, ssrc: number, payload: number[] | Uint8Array, extra: { marker?: boolean; csrcs?: number[]; ext?: number[]; padding?: number } = {}): number[] {
  const csrcs = extra.csrcs ?? [];
  const out = [0x80 | (extra.ext ? 0x10 : 0) | (extra.padding ? 0x20 : 0) | csrcs.length, (extra.marker ? 0x80 : 0) | pt, seq >> 8, seq & 255];
  for (const v of [ts, ssrc]) out.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  for (const c of csrcs) out.push((c >>> 24) & 255, (c >>> 16) & 255, (c >>> 8) & 255, c & 255);
  if (extra.ext) out.push(0xbe, 0xde, 0, extra.ext.length / 4, ...extra.ext);
  out.push(...payload);
  if (extra.padding) out.push(...new Array(extra.padding - 1).fill(0), extra.padding);
  return out;
}

const u32 = (v: number): number[] => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
const le16 = (v: number): number[] => [v & 255, (v >>> 8) & 255];
const le32 = (v: number): number[] => [...le16(v & 0xffff), ...le16(v >>> 16)];

// Opus payloads of each kind: SILK voiced and unvoiced, hybrid, CELT, DTX.
function opusPayloads(): Record<string, Uint8Array> {
  const speechy = new Int16Array(960).map((_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 180 * i) / 48000) + 2000 * Math.sin((2 * Math.PI * 900 * i) / 48000)));
  const silence = new Int16Array(960);
  const out: Record<string, Uint8Array> = {};
  out.silk_voiced = new CodecEncoder({ codec: 'opus', bitrate: 12000 }).encode(speechy);
  out.silk_silence = new CodecEncoder({ codec: 'opus', bitrate: 12000 }).encode(silence);
  out.hybrid = new CodecEncoder({ codec: 'opus', bitrate: 24000 }).encode(speechy);
  out.celt = new CodecEncoder({ codec: 'opus', bitrate: 128000 }).encode(speechy);
  out.code3_junk = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  out.dtx = Uint8Array.from([0xf8]);
  return out;
}

// RTP.
write('rtp_parse', 'pcmu', rtp(0, 1, 160, 0x11223344, new Array(160).fill(0xff)));
write('rtp_parse', 'csrcs_ext_padding', rtp(111, 65535, 0xfffffff0, 1, [1, 2, 3], { marker: true, csrcs: [5, 6], ext: [0x10, 0xaa, 0, 0], padding: 4 }));
write('rtp_parse', 'ext_length_lies', [0x90, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff]);
write('rtp_parse', 'padding_lies', [0xa0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 7, 200]);
write('rtp_parse', 'rtcp_mux', [0x80, 200, 0, 6, ...u32(1), ...new Array(20).fill(0)]);

// RTCP: a browser's SR + SDES, an RR, a BYE without a reason (once UB: memcpy from null), a BYE
// with one, APP, and lengths that lie.
const sdes = [0x81, 202, 0, 3, ...u32(0x1234), 1, 4, ...Buffer.from('conf'), 0, 0];
const sr = [0x81, 200, 0, 12, ...u32(0x1234), ...u32(0xe1234567), ...u32(0x89abcdef), ...u32(16000), ...u32(50), ...u32(8000), ...u32(0x5eed), 0x10, 0, 0, 3, ...u32(77), ...u32(20), ...u32(0), ...u32(0)];
write('rtcp_compound', 'sr_sdes', [...sr, ...sdes]);
write('rtcp_compound', 'rr', [0x81, 201, 0, 7, ...u32(0x1234), ...u32(0x5eed), 0x05, 0, 0, 1, ...u32(100), ...u32(3), ...u32(0), ...u32(0)]);
write('rtcp_compound', 'bye_without_reason', [0x81, 203, 0, 1, ...u32(0x1234)]);
write('rtcp_compound', 'rr_bye_without_reason', [0x80, 201, 0, 1, ...u32(0x1234), 0x81, 203, 0, 1, ...u32(0x1234)]);
write('rtcp_compound', 'bye_with_reason', [0x81, 203, 0, 3, ...u32(0x1234), 5, ...Buffer.from('hangu'), 0, 0]);
write('rtcp_compound', 'app', [0x80, 204, 0, 3, ...u32(0x1234), ...Buffer.from('TEST'), 1, 2, 3, 4]);
write('rtcp_compound', 'length_lies', [0x81, 200, 0xff, 0xff, ...u32(0x1234)]);
write('rtcp_compound', 'bye_reason_lies', [0x81, 203, 0, 2, ...u32(0x1234), 200, 1, 2, 3]);

// RFC 4733 (the harness's format: clock, timestamp, SSRC, sequence, then per packet an op byte,
// 0x88 with a timestamp step for a new event or 0x08 for the same one, and a 4-byte payload).
const press = (event: number, step: number): number[] => {
  const packets: number[] = [];
  [[0, 160], [0, 320], [0, 480], [1, 800], [1, 800], [1, 800]].forEach(([end, duration], i) => {
    packets.push(...(i === 0 ? [0x88, ...le16(step)] : [0x08]), event, end ? 0x8a : 0x0a, duration >> 8, duration & 255);
  });
  return packets;
};
write('telephone_event', 'two_presses', [0, ...le32(1000), ...le32(7), ...le16(1), ...press(1, 0), ...press(11, 1600)]);
write('telephone_event', 'non_keys_and_short', [1, ...le32(0), ...le32(9), ...le16(0), 0x88, ...le16(160), 16, 0x0a, 0, 160, 0x03, 1, 2, 3, 0x7f, ...le32(10), 0x08, 5, 0x8a, 0, 160]);

// Opus TOC and VAD.
for (const [name, payload] of Object.entries(opusPayloads())) write('opus_toc', name, payload);

// Jitter buffer: steady packets and pops; a burst after a stall; reordering and duplicates.
const steady: number[] = [0x05, 100, 60, ...le16(1000), ...le32(5000)];
for (let i = 0; i < 40; i++) steady.push(0x03, 8, 0x10);
write('jitter_buffer', 'steady', steady);
const burst: number[] = [0x05, 200, 60, ...le16(65530), ...le32(0xfffff000)];
for (let i = 0; i < 30; i++) burst.push(0x10);
for (let i = 0; i < 30; i++) burst.push(0x83, 40, 8);
for (let i = 0; i < 40; i++) burst.push(0x11);
write('jitter_buffer', 'stall_burst_wrap', burst);
const reorder: number[] = [0x00, 100, 10, ...le16(7), ...le32(0)];
for (let i = 0; i < 20; i++) reorder.push(0x06, 2, ...le16(320), 4, 0x06, 0xff, ...le16(0xfec0), 4, 0x10);
write('jitter_buffer', 'reorder_duplicates', reorder);
// The concealment attack: a packet time of one unit, then a gap the sequence predicts.
const attack: number[] = [0x05, 250, 60, ...le16(1), ...le32(0)];
for (let i = 0; i < 12; i++) attack.push(0x05, ...le16(1), 4, 0x05, ...le16(1), 4, 0x05, ...le16(1), 4, 0x04, 0x60, ...le16(3000), 4, 0x10, 0x10);
write('jitter_buffer', 'concealment_attack', attack);

// Receive path: an Opus member (shape 4: Opus, 16 kHz conference, 20 ms) with telephone-event.
const opus = opusPayloads();
const receive: number[] = [0x4c, 0x01, ...le16(10), ...le32(0)];
for (let i = 0; i < 20; i++) {
  const payload = [...(i % 5 === 4 ? opus.silk_silence : opus.silk_voiced)];
  while (payload.length % 4) payload.push(0);
  receive.push(0x43, payload.length / 4, ...payload, 0x10);
}
receive.push(0x47, 1, 0x0a, 0x00, 0xa0, 0x10);
write('receive_path', 'opus_voiced_dtmf', receive);
const pcmuLoss: number[] = [0x48, 0x00, ...le16(1), ...le32(0)];
for (let i = 0; i < 30; i++) {
  if (i % 7 !== 3) pcmuLoss.push(0x43, 40, ...new Array(160).fill(0x55 + i));
  pcmuLoss.push(0x11);
}
write('receive_path', 'pcmu_loss', pcmuLoss);
const junkAttack: number[] = [0x4c, 0x00, ...le16(1), ...le32(0)];
for (let i = 0; i < 16; i++) junkAttack.push(0x41, ...le16(1), 2, ...opus.code3_junk, 0x41, ...le16(1), 2, ...opus.code3_junk, 0x40, 0xf4, ...le16(3000), 2, ...opus.code3_junk, 0x10);
write('receive_path', 'concealment_attack', junkAttack);
console.log(`seeds written to ${corpus}`);
