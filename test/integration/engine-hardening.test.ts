// What peers on the network can do to a leg on a real shard: a latching leg that faces another
// latching endpoint still starts (it sends to the SDP's address first), strangers' datagrams (an
// oversize one, or one at a separate RTCP port) are counted where the leg's counters show them.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.ts';
import type { Engine, RtpLeg } from '../../src/index.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';

const PORT_MIN = 29000;
const PORT_MAX = 29099;

let engine: Engine;
const peers: SdpPeer[] = [];
const sockets: dgram.Socket[] = [];

beforeAll(async () => {
  engine = await createEngine({ shards: 1, portMin: PORT_MIN, portMax: PORT_MAX });
});

afterEach(() => {
  for (const peer of peers.splice(0)) peer.close();
  for (const socket of sockets.splice(0)) socket.close();
});

afterAll(async () => {
  await engine?.close();
});

async function peer(): Promise<SdpPeer> {
  const created = await SdpPeer.create(440);
  peers.push(created);
  return created;
}

async function stranger(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  sockets.push(socket);
  return socket;
}

/** Polls the member's stats until `test` passes (the shard publishes counters as it goes). */
async function statsWhen<T>(read: () => Promise<T>, test: (stats: T) => boolean): Promise<T> {
  for (;;) {
    const stats = await read();
    if (test(stats)) return stats;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('symmetric latching facing a peer that also waits', () => {
  it('sends its first packets to the address the SDP names, before hearing anything, then latches to the real source', async () => {
    const conference = await engine.createConference({ rate: 8000 });
    await conference.addMember({ leg: await engine.createAppLeg({ rate: 8000 }) });
    const quiet = await peer(); // never sends: it waits for us, as a latching server would
    const { member } = await conference.addMember({ sdp: quiet.offer(), rtp: { symmetricLatching: true } });
    // Our packets reach the SDP's address although the peer has sent nothing.
    await quiet.waitFrames(5);
    expect(quiet.sent).toBe(0);

    // The peer's media then comes from another port (a NAT): the leg latches to it and sends there.
    const behindNat = await peer();
    behindNat.target((member.leg as RtpLeg).localPort);
    behindNat.start();
    await behindNat.waitFrames(5);
    const stats = await member.stats();
    expect(stats.packetsIn).toBeGreaterThan(0);
    expect(stats.droppedStranger).toBe(0);
  });
});

describe("strangers' datagrams", () => {
  it('one over 2048 bytes from a stranger counts as a stranger, not as the peer invalid', async () => {
    const conference = await engine.createConference({ rate: 8000 });
    const talker = await peer();
    const { member, sdp } = await conference.addMember({ sdp: talker.offer() });
    talker.follow(sdp);
    talker.start();
    await talker.waitFrames(3);
    const socket = await stranger();
    const port = (member.leg as RtpLeg).localPort;
    socket.send(new Uint8Array(4000), port, '127.0.0.1');
    socket.send(new Uint8Array(100), port, '127.0.0.1');
    const stats = await statsWhen(() => member.stats(), (s) => s.droppedStranger >= 2);
    expect(stats.droppedStranger).toBe(2);
    expect(stats.droppedInvalid).toBe(0);
  });

  it("at a separate RTCP port appear in the leg's counters", async () => {
    const conference = await engine.createConference({ rate: 8000 });
    const talker = await peer();
    const { member, sdp } = await conference.addMember({ sdp: talker.offer() }); // no rtcp-mux
    talker.follow(sdp);
    const before = await member.stats();
    expect(before.localRtcpPort).toBeGreaterThan(0);
    const socket = await stranger();
    for (let i = 0; i < 3; i++) socket.send(Uint8Array.from([0x81, 203, 0, 1, 0, 0, 0, 7]), before.localRtcpPort!, '127.0.0.1');
    const stats = await statsWhen(() => member.stats(), (s) => s.droppedStranger >= 3);
    expect(stats.droppedStranger).toBe(3);
    expect(member.closed).toBe(false); // a stranger's BYE removes nobody
  });
});
