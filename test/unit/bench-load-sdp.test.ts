// The load benchmark's --sdp flag and its gateway: offers our answerer takes as a gateway's,
// answers read back to the leg's port.
import { describe, expect, it } from 'vitest';
import { parseLoadArgs } from '../../bench/load/options.ts';
import { answeredPort, gatewayOffer } from '../../bench/load/sdpJoin.ts';
import { answerOffer } from '../../src/legs/rtp/sdp.ts';

describe('load benchmark --sdp', () => {
  it('is a flag without a value, off by default', () => {
    expect(parseLoadArgs([]).sdp).toBe(false);
    const options = parseLoadArgs(['--sdp', '--codec', 'opus', '--members', '100']);
    expect(options.sdp).toBe(true);
    expect(options.rooms).toEqual([{ codec: 'opus', members: 100, talkers: 10, rooms: 0, noisy: false, energyLevel: 100 }]);
    expect(parseLoadArgs(['--codec', 'pcmu', '--sdp']).rooms.map((room) => room.members)).toEqual([200, 1000, 3000]);
  });

  it("writes a gateway's offer that negotiates the room's codec, and reads the answer's port", () => {
    for (const [codec, payloadType, clockRate] of [['pcmu', 0, 8000], ['opus', 111, 48000]] as const) {
      const { answerSdp, negotiated } = answerOffer(gatewayOffer(codec, 31000, 7), { localAddress: '127.0.0.1', localPort: 40002 });
      expect(negotiated.codec).toMatchObject({ name: codec, payloadType });
      expect(negotiated.telephoneEvent).toEqual({ payloadType: 101, clockRate });
      expect(negotiated.remote).toEqual({ address: '127.0.0.1', port: 31000, family: 4 });
      expect(negotiated.ptimeMs).toBe(20);
      expect(answeredPort(answerSdp, payloadType)).toBe(40002);
      expect(() => answeredPort(answerSdp, payloadType === 0 ? 8 : 0)).toThrow(/payload type/);
    }
    expect(answerOffer(gatewayOffer('opus', 31000, 1), { localAddress: '127.0.0.1', localPort: 40002 }).negotiated.codec.fec).toBe(true);
  });
});
