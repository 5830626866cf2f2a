// Real RTP peers that nobody here wrote: ffmpeg. Two ffmpeg senders join by the SDP they print
// (a 440 Hz tone as Opus, a 1000 Hz tone as PCMU); a third ffmpeg receives from an SDP we wrote
// and records a WAV. Each sender's returned audio is recorded by another ffmpeg. Every assertion
// is Goertzel on the files ffmpeg wrote, and packet counts against member.stats(). Then one
// ffmpeg joins through the HTTP API. The ffmpeg tests share this file so that they run one at a
// time: ffmpeg's real-time senders on a busy machine late by a frame would be concealed, not heard.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import { RtpPeer } from '../helpers/rtpPeer.ts';
import { createEngine, createOffer } from '../../src/index.ts';
import type { Engine, SdpJoin } from '../../src/index.ts';
import { parseWav } from '../../src/audio/wav.ts';
import { median, toneDbfs, toneLevelsDbfs } from '../helpers/audio.ts';
import { FfmpegProcess, SenderRelay, ffmpegAvailable, freePortPair } from './ffmpeg.ts';

const SEND_SECONDS = 4;
const RECORD_SECONDS = SEND_SECONDS + 2;
// lavfi's sine is 1/8 of full scale: 20·log10(1/8).
const SINE_DBFS = -18.06;

const ffmpegRuns: FfmpegProcess[] = [];
const relays: SenderRelay[] = [];
let engine: Engine | undefined;
let dir: string;

beforeAll(() => {
  if (!ffmpegAvailable()) throw new Error('these tests need ffmpeg with libopus (scripts/system-packages.sh installs it)');
});

afterEach(async () => {
  for (const ffmpegRun of ffmpegRuns.splice(0)) ffmpegRun.kill();
  for (const relay of relays.splice(0)) relay.close();
  await engine?.close();
  engine = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function ffmpeg(args: string[], limitMs = 20_000): FfmpegProcess {
  const ffmpegRun = new FfmpegProcess(args, limitMs);
  ffmpegRuns.push(ffmpegRun);
  return ffmpegRun;
}

/** An ffmpeg that receives RTP described by `sdp` and writes `seconds` of it to a WAV. */
function recorder(name: string, sdp: string, seconds = RECORD_SECONDS): { wav: string; ffmpegRun: FfmpegProcess } {
  const sdpPath = join(dir, `${name}.sdp`);
  const wav = join(dir, `${name}.wav`);
  writeFileSync(sdpPath, sdp);
  const ffmpegRun = ffmpeg(['-protocol_whitelist', 'file,udp,rtp', '-i', sdpPath, '-t', String(seconds), '-c:a', 'pcm_s16le', '-y', wav]);
  return { wav, ffmpegRun };
}

/** An SDP for a recorder at `port` that takes one payload type. */
function recorderSdp(port: number, payloadType: number, rtpmap: string): string {
  return ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=recorder', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP ${payloadType}`, `a=rtpmap:${payloadType} ${rtpmap}`, 'a=recvonly', ''].join('\r\n');
}

/** A WAV's samples and rate. */
function readWav(path: string): { samples: Int16Array; rate: number } {
  const wav = parseWav(new Uint8Array(readFileSync(path)), path);
  return { samples: wav.samples, rate: wav.sampleRate };
}

/**
 * The level of the tone at `freqHz` in a recording, over the 100 ms windows where it and every
 * tone in `alsoOn` were on (within 20 dB of the sent level), less the first and last such window
 * (a sender's edges). The senders start when each has joined, which takes longer on a loaded
 * host, so the span is found in the audio, not assumed.
 */
function toneWhileOn(path: string, freqHz: number, alsoOn: number[] = []): { levelDbfs: number; onSeconds: number } {
  const { samples, rate } = readWav(path);
  const tones = [freqHz, ...alsoOn].map((f) => toneLevelsDbfs(samples, f, rate, 100));
  const on = tones[0].map((_, i) => tones.every((levels) => levels[i] > SINE_DBFS - 20));
  const first = on.indexOf(true);
  const last = on.lastIndexOf(true);
  const inside = first < 0 ? [] : tones[0].slice(first + 1, last).filter((_, i) => on[first + 1 + i]);
  return { levelDbfs: median(inside), onSeconds: inside.length / 10 };
}

describe('ffmpeg peers joined by SDP', () => {
  it('mixes an Opus and a PCMU sender for a PCMU receiver; each sender hears only the other', async () => {
    dir = mkdtempSync(join(tmpdir(), 'confmix-e2e-'));
    engine = await createEngine({ shards: 1, portMin: 26000, portMax: 26099 });
    const conference = await engine.createConference({ 'comfort-noise': false });

    // The receiver: its SDP is an offer we write with our own createOffer (recvonly PCMU at its
    // port); the conference answers it, and ffmpeg reads the same SDP to know what to expect.
    const receiverPort = await freePortPair();
    const receiverSdp = createOffer({ localAddress: '127.0.0.1', localPort: receiverPort, codecs: ['pcmu'], direction: 'recvonly', telephoneEvent: false, rtcpMux: false }).offerSdp;
    const receiver = await conference.addMember({ sdp: receiverSdp });
    expect(receiver.member.mute).toBe(true); // it sends nothing
    const received = recorder('receiver', receiverSdp);

    // The senders: ffmpeg prints the SDP of the stream it sends to its relay.
    const joinSender = async (name: string, encode: string[], recorderRtpmap: [number, string]): Promise<{ relay: SenderRelay; joined: SdpJoin; returned: { wav: string; ffmpegRun: FfmpegProcess }; ffmpegRun: FfmpegProcess }> => {
      const relay = new SenderRelay();
      relays.push(relay);
      const relayPort = await relay.bind();
      const ffmpegRun = ffmpeg(['-re', ...encode, '-f', 'rtp', `rtp://127.0.0.1:${relayPort}`]);
      const offer = await ffmpegRun.printedSdp();
      const joined = await conference.addMember({ sdp: offer, callId: name });
      const returnPort = await freePortPair();
      const returned = recorder(`${name}-returned`, recorderSdp(returnPort, ...recorderRtpmap), SEND_SECONDS - 0.5);
      relay.connect(joined.leg.localPort, returnPort);
      return { relay, joined, returned, ffmpegRun };
    };
    // Both senders start together, so the span where both are heard does not depend on how
    // long one join takes. 960-sample source frames: libopus then sends one packet every 20 ms,
    // as a phone does.
    const [opus, pcmu] = await Promise.all([
      joinSender(
        'opus-440',
        ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:samples_per_frame=960', '-t', String(SEND_SECONDS), '-c:a', 'libopus', '-b:a', '64k'],
        [97, 'opus/48000/2'],
      ),
      joinSender(
        'pcmu-1000',
        ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000:samples_per_frame=160', '-t', String(SEND_SECONDS), '-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1'],
        [0, 'PCMU/8000'],
      ),
    ]);
    expect(opus.joined.leg.codec).toMatchObject({ name: 'opus', payloadType: 97 });
    expect(pcmu.joined.leg.codec).toMatchObject({ name: 'pcmu', payloadType: 0 });

    // Both senders finish on their own, then the recorders. The receiver records two seconds
    // longer than the senders send, so by then the RTCP figures (refreshed at least once a
    // second) cover every packet. The legs are still up, so their counts can be read.
    expect(await opus.ffmpegRun.exited).toBe(0);
    expect(await pcmu.ffmpegRun.exited).toBe(0);
    expect([await received.ffmpegRun.exited, await opus.returned.ffmpegRun.exited, await pcmu.returned.ffmpegRun.exited]).toEqual([0, 0, 0]);
    const opusStats = await opus.joined.member.stats();
    const pcmuStats = await pcmu.joined.member.stats();
    const returnedAtRead = { opus: opus.relay.returned, pcmu: pcmu.relay.returned };

    // Packet counts. 4 s of 20 ms frames are 200 packets; ffmpeg's -t cut may let one more frame
    // through, and libopus adds one for its look-ahead. Everything sent after the answer reached
    // the leg (loopback), and the leg took every one of them.
    for (const sender of [opus, pcmu]) {
      expect(sender.relay.fromSender).toBeGreaterThanOrEqual(200);
      expect(sender.relay.fromSender).toBeLessThanOrEqual(202);
    }
    for (const [sender, stats] of [[opus, opusStats], [pcmu, pcmuStats]] as const) {
      expect(sender.relay.forwarded).toBeGreaterThan(150);
      expect(stats.packetsIn).toBe(sender.relay.forwarded);
      if (stats.packetsReceived !== undefined) expect(stats.packetsReceived).toBe(sender.relay.forwarded);
      expect(stats.droppedInvalid + stats.droppedStranger).toBe(0);
    }
    // What each leg sent back had reached the relay, but for at most a packet or two in flight.
    expect(opusStats.packetsOut - returnedAtRead.opus).toBeGreaterThanOrEqual(-2);
    expect(opusStats.packetsOut - returnedAtRead.opus).toBeLessThanOrEqual(2);
    expect(pcmuStats.packetsOut - returnedAtRead.pcmu).toBeGreaterThanOrEqual(-2);
    expect(pcmuStats.packetsOut - returnedAtRead.pcmu).toBeLessThanOrEqual(2);

    // The receiver's WAV holds both tones at the level they were sent (the mix is a plain sum
    // well below the limiter's knee), within 1 dB, while both senders were on.
    const heard440 = toneWhileOn(received.wav, 440, [1000]);
    const heard1000 = toneWhileOn(received.wav, 1000, [440]);
    expect(readWav(received.wav).rate).toBe(8000);
    expect(heard440.onSeconds).toBeGreaterThanOrEqual(1.5);
    expect(Math.abs(heard440.levelDbfs - SINE_DBFS)).toBeLessThan(1);
    expect(Math.abs(heard1000.levelDbfs - SINE_DBFS)).toBeLessThan(1);

    // Each sender got the other's tone back, and not its own.
    const backToOpus = toneWhileOn(opus.returned.wav, 1000);
    const backToPcmu = toneWhileOn(pcmu.returned.wav, 440);
    expect(backToOpus.onSeconds).toBeGreaterThanOrEqual(1.5);
    expect(backToPcmu.onSeconds).toBeGreaterThanOrEqual(1.5);
    expect(Math.abs(backToOpus.levelDbfs - SINE_DBFS)).toBeLessThan(1);
    expect(Math.abs(backToPcmu.levelDbfs - SINE_DBFS)).toBeLessThan(1);
    const opusReturned = readWav(opus.returned.wav);
    const pcmuReturned = readWav(pcmu.returned.wav);
    expect(toneDbfs(opusReturned.samples, 440, opusReturned.rate)).toBeLessThan(SINE_DBFS - 40);
    expect(toneDbfs(pcmuReturned.samples, 1000, pcmuReturned.rate)).toBeLessThan(SINE_DBFS - 40);
    await conference.update({ state: 'completed' });
  }, 60_000);

  it("ends the member on ffmpeg's RTCP BYE", async () => {
    dir = mkdtempSync(join(tmpdir(), 'confmix-e2e-'));
    engine = await createEngine({ shards: 1, portMin: 26100, portMax: 26199 });
    const conference = await engine.createConference();
    await conference.addMember({ leg: { kind: 'none' } });
    const relay = new SenderRelay();
    relays.push(relay);
    const relayPort = await relay.bind();
    // Its RTCP goes to the relay's port too, so the relay passes it on from the SDP's address,
    // on the RTP port; send_bye adds a BYE to its last report.
    const ffmpegRun = ffmpeg([
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000:samples_per_frame=160', '-t', '2',
      '-c:a', 'pcm_mulaw', '-ar', '8000', '-ac', '1', '-rtpflags', 'send_bye', '-f', 'rtp', `rtp://127.0.0.1:${relayPort}?rtcpport=${relayPort}`,
    ]);
    const { member, leg } = await conference.addMember({ sdp: await ffmpegRun.printedSdp() });
    const closed = new Promise((resolve) => member.once('close', resolve));
    relay.connect(leg.localPort, relayPort + 1);
    expect(await ffmpegRun.exited).toBe(0);
    expect(await closed).toBe('rtcp-bye');
    expect(member.removedReason).toBe('rtcp-bye');
    expect(relay.forwarded).toBeGreaterThan(50);
    expect(conference.activeMembers).toBe(1);
    await conference.update({ state: 'completed' });
  }, 30_000);
});

// A real RTP peer through the HTTP API: ffmpeg's SDP offer is POSTed to …/members as
// application/sdp (as WHIP does), its 440 Hz tone is heard by another member (a PCMU RTP peer
// added with an explicit rtp leg), and it leaves through `state: completed`.
const USER = { userId: 'e2e', token: 'e2e-token', secret: 'e2e-secret' };
const auth = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;
let server: ConfmixServer | undefined;
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await server?.close();
  server = undefined;
});

describe('ffmpeg joins through the HTTP API', () => {
  it('POSTs its SDP to …/members, is heard by another member, and leaves by state: completed', async () => {
    server = await createServer({
      config: { shards: 1, rtpPortMin: 26200, rtpPortMax: 26299, port: 0, users: [USER], logLevel: 'silent' },
      logger: pino({ level: 'silent' }),
    });
    const base = await server.listen();
    const api = (path: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${base}${path}`, { ...init, headers: { authorization: auth, 'content-type': 'application/json', ...(init.headers as object) } });

    const created = await api('/v1/users/e2e/conferences', { method: 'POST', body: JSON.stringify({ from: '+15550100', 'comfort-noise': false }) });
    expect(created.status).toBe(201);
    const conference = created.headers.get('location')!;

    // The listener: a PCMU peer on an explicit RTP leg.
    const listener = await RtpPeer.create();
    cleanups.push(() => listener.close());
    const listening = await api(`${conference}/members`, { method: 'POST', body: JSON.stringify({ callId: 'listener', rtp: { codec: 'pcmu', remoteAddress: '127.0.0.1', remotePort: listener.port } }) });
    expect(listening.status).toBe(201);

    // ffmpeg sends Opus to its relay, which stands at the address its SDP names.
    const relay = new SenderRelay();
    cleanups.push(() => relay.close());
    const relayPort = await relay.bind();
    const ffmpeg = new FfmpegProcess(
      ['-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:samples_per_frame=960', '-t', '4', '-c:a', 'libopus', '-b:a', '64k', '-f', 'rtp', `rtp://127.0.0.1:${relayPort}`],
      20_000,
    );
    cleanups.push(() => ffmpeg.kill());
    const offer = await ffmpeg.printedSdp();
    const joined = await api(`${conference}/members`, { method: 'POST', body: offer, headers: { 'content-type': 'application/sdp' } });
    expect(joined.status).toBe(201);
    expect(joined.headers.get('content-type')).toMatch(/^application\/sdp/);
    const answer = await joined.text();
    expect(answer).toMatch(/a=rtpmap:\d+ opus\/48000\/2/);
    const legPort = Number(/m=audio (\d+) /.exec(answer)![1]);
    const memberUrl = joined.headers.get('location')!;
    relay.connect(legPort, listener.port + 2);
    const joinedAt = listener.received.length;

    // ffmpeg sends for 4 s from its SDP on; the listener's two seconds from half a second after
    // the join carry its tone.
    expect(await ffmpeg.exited).toBe(0);
    await listener.waitForPackets(joinedAt + 125);
    const heard = listener.audio(joinedAt + 25).subarray(0, 16000);
    // Heard at the level sent (the mix of one talker is exact; a busy machine may cost ffmpeg a
    // late packet or two, concealed, so the bound below is loose), and nothing above it.
    const level = toneDbfs(heard, 440, 8000);
    expect(level).toBeGreaterThan(SINE_DBFS - 6);
    expect(level).toBeLessThan(SINE_DBFS + 1);
    const member = await (await api(memberUrl)).json();
    expect(member).toMatchObject({ state: 'active', leg: { kind: 'rtp', localPort: legPort } });
    expect(relay.forwarded).toBeGreaterThan(150);

    const left = await api(memberUrl, { method: 'POST', body: JSON.stringify({ state: 'completed' }) });
    expect(left.status).toBe(200);
    expect(await (await api(memberUrl)).json()).toMatchObject({ state: 'completed', removedReason: 'api' });
    expect((await (await api(conference)).json()).activeMembers).toBe(1);
  }, 40_000);
});
