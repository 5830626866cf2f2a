// An RTP leg's `ssrc` option (a peer that routes by SSRC, such as an SFU, names our stream in
// advance): every packet the leg sends carries it; a bad one is refused and opens nothing.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { createEngine, InvalidArgumentError } from '../../src/index.ts';
import type { Engine } from '../../src/index.ts';
import { parseRtp } from '../../src/native/testing/rtp.ts';

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

it('sends with the SSRC the leg names, and refuses one out of range', async () => {
  engine = await createEngine({ shards: 1, portMin: 26520, portMax: 26529 });
  const conference = await engine.createConference({});
  const peer = dgram.createSocket('udp4');
  peer.bind(0, '127.0.0.1');
  await once(peer, 'listening');
  const ssrcs: number[] = [];
  const tenPackets = new Promise<void>((resolve) =>
    peer.on('message', (bytes) => {
      const packet = parseRtp(new Uint8Array(bytes));
      if (packet.ok) ssrcs.push(packet.ssrc);
      if (ssrcs.length === 10) resolve();
    }),
  );
  try {
    for (const ssrc of [-1, 2 ** 32, 1.5]) {
      await expect(conference.addMember({ leg: { kind: 'rtp', codec: 'opus', remoteAddress: '127.0.0.1', remotePort: peer.address().port, ssrc: ssrc as number } })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    expect(conference.listMembers()).toEqual([]);
    await conference.addMember({ leg: { kind: 'rtp', codec: 'opus', remoteAddress: '127.0.0.1', remotePort: peer.address().port, ssrc: 0xdeadbeef } });
    await tenPackets;
    expect(new Set(ssrcs)).toEqual(new Set([0xdeadbeef]));
  } finally {
    peer.close();
  }
});
