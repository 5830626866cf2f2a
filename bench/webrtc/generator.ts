// The WebRTC benchmark's peers, in their own process: N werift peers (or N plain RTP sockets)
// sending Opus every 20 ms (a tenth of them a tone, the rest encoded silence) and counting what
// they receive. Run by bench/webrtc/index.ts over IPC.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import type { RTCRtpSender } from 'werift';
import { CodecEncoder } from '../../src/native/testing/codecs.ts';
import type { FromGenerator, ToGenerator } from './protocol.ts';

const TALKING_SHARE = 0.1;
const FRAME_MS = 20;

function send(message: FromGenerator): void {
  process.send?.(message);
}

// One second of Opus 20 ms frames of a tone, and one of silence, encoded once.
function opusFrames(): { tone: Buffer[]; silence: Buffer[] } {
  const encoder = new CodecEncoder({ codec: 'opus' });
  const tone: Buffer[] = [];
  const silence: Buffer[] = [];
  for (let f = 0; f < 50; f++) {
    const pcm = new Int16Array(960);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * (f * 960 + i)) / 48000));
    tone.push(Buffer.from(encoder.encode(pcm)));
  }
  for (let f = 0; f < 50; f++) silence.push(Buffer.from(encoder.encode(new Int16Array(960))));
  return { tone, silence };
}

const frames = opusFrames();
const peers: RTCPeerConnection[] = [];
const senders: RTCRtpSender[] = [];
const sockets: dgram.Socket[] = [];
let targets: number[] = [];
let received: number[] = [];
let timer: NodeJS.Timeout | null = null;

function startSending(count: number, emit: (i: number, payload: Buffer, sequence: number, timestamp: number) => void): void {
  let tick = 0;
  const start = performance.now();
  const talking = Math.max(1, Math.round(count * TALKING_SHARE));
  const step = (): void => {
    const sequence = tick & 0xffff;
    const timestamp = (tick * 960) >>> 0;
    for (let i = 0; i < count; i++) emit(i, (i < talking ? frames.tone : frames.silence)[tick % 50], sequence, timestamp);
    tick++;
    // Paced against the clock, so a late timer does not slow the stream down.
    timer = setTimeout(step, Math.max(0, start + tick * FRAME_MS - performance.now()));
  };
  step();
}

async function offers(count: number): Promise<string[]> {
  received = new Array<number>(count).fill(0);
  const sdps: string[] = [];
  for (let i = 0; i < count; i++) {
    const pc = new RTCPeerConnection({
      codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, parameters: 'minptime=10;useinbandfec=1' })] },
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      iceUseIpv6: false,
    });
    const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
    transceiver.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => void received[i]++));
    peers.push(pc);
    senders.push(transceiver.sender);
    await pc.setLocalDescription(await pc.createOffer());
    while (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.asPromise();
    sdps.push(pc.localDescription!.sdp);
  }
  return sdps;
}

async function answers(sdps: string[]): Promise<void> {
  await Promise.all(peers.map((pc, i) => pc.setRemoteDescription({ type: 'answer', sdp: sdps[i] })));
  await Promise.all(
    peers.map(async (pc) => {
      while (pc.connectionState !== 'connected') await pc.connectionStateChange.asPromise();
    }),
  );
  startSending(peers.length, (i, payload, sequence, timestamp) => {
    void senders[i].sendRtp(new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: sequence, timestamp }), payload));
  });
}

async function rtpSockets(count: number): Promise<number[]> {
  received = new Array<number>(count).fill(0);
  for (let i = 0; i < count; i++) {
    const socket = dgram.createSocket('udp4');
    socket.bind(0, '127.0.0.1');
    await once(socket, 'listening');
    socket.on('message', () => void received[i]++);
    sockets.push(socket);
  }
  return sockets.map((socket) => socket.address().port);
}

function rtpPeers(ports: number[]): void {
  targets = ports;
  const ssrcs = ports.map((_, i) => 0x10000 + i);
  startSending(ports.length, (i, payload, sequence, timestamp) => {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = 111;
    header.writeUInt16BE(sequence, 2);
    header.writeUInt32BE(timestamp, 4);
    header.writeUInt32BE(ssrcs[i], 8);
    sockets[i].send([header, payload], targets[i], '127.0.0.1');
  });
}

async function close(): Promise<void> {
  if (timer) clearTimeout(timer);
  timer = null;
  await Promise.all(peers.splice(0).map((pc) => pc.close()));
  senders.length = 0;
  for (const socket of sockets.splice(0)) socket.close();
}

process.on('message', (message: ToGenerator) => {
  const run = async (): Promise<void> => {
    switch (message.type) {
      case 'offers':
        send({ type: 'offers', sdps: await offers(message.count) });
        return;
      case 'answers':
        await answers(message.sdps);
        send({ type: 'connected' });
        return;
      case 'rtp-sockets':
        send({ type: 'rtp-sockets', ports: await rtpSockets(message.count) });
        return;
      case 'rtp-peers':
        rtpPeers(message.ports);
        send({ type: 'sending' });
        return;
      case 'count': {
        const counts = received;
        received = new Array<number>(counts.length).fill(0);
        send({ type: 'count', received: counts });
        return;
      }
      case 'close':
        await close();
        send({ type: 'closed' });
        return;
    }
  };
  run().catch((error: unknown) => send({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
});
