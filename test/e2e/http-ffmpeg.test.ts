// A real RTP peer through the HTTP API: ffmpeg's SDP offer is POSTed to …/members as
// application/sdp (as WHIP does), its 440 Hz tone is heard by another member (a PCMU RTP peer
// added with an explicit rtp leg), and it leaves through `state: completed`.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import { RtpPeer } from '../helpers/rtpPeer.ts';
import { toneDbfs } from '../helpers/audio.ts';
import { FfmpegProcess, SenderRelay, ffmpegAvailable } from './ffmpeg.ts';

const USER = { userId: 'e2e', token: 'e2e-token', secret: 'e2e-secret' };
const auth = `Basic ${Buffer.from(`${USER.token}:${USER.secret}`).toString('base64')}`;
// lavfi's sine is 1/8 of full scale.
const SINE_DBFS = -18.06;

let server: ConfmixServer | undefined;
const cleanups: Array<() => void> = [];

beforeAll(() => {
  if (!ffmpegAvailable()) throw new Error('this test needs ffmpeg with libopus (scripts/system-packages.sh installs it)');
});
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
