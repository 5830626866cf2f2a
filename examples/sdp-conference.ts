// Hearing a conference with ffmpeg: RTP peers join by SDP offer/answer. This starts an engine and
// a conference that says a sentence every few seconds, then joins two ffmpeg peers:
//
//   - a listener, by its offer: a recvonly PCMU stream to 127.0.0.1:<port> (default 5004). The
//     offer is written to listen.sdp, which is also what ffplay needs to play the stream:
//       ffplay -nodisp -protocol_whitelist file,udp,rtp -i listen.sdp
//   - a talker, by our offer (Opus, symmetric RTP: the leg learns the talker's address from its
//     first packet). The ffmpeg command to run is printed.
//
//   npx tsx examples/sdp-conference.ts [--port 5004] [--out listen.sdp]
//
// Ctrl-C ends it.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine, createOffer } from 'confmix';

const { values } = parseArgs({ options: { port: { type: 'string', default: '5004' }, out: { type: 'string', default: 'listen.sdp' } } });
const listenPort = Number(values.port);
if (!Number.isInteger(listenPort) || listenPort < 1024 || listenPort > 65534) throw new Error('--port must be an integer from 1024 to 65534');

// rtpAddress is the address our SDP names: loopback here; a server gives its own address.
const engine = await createEngine({ shards: 1, rtpAddress: '127.0.0.1' });
const conference = await engine.createConference({ rate: 16000 });

// The listener's offer, as a phone that only listens would make it. ffplay reads the same SDP:
// it describes the stream the listener receives, at its port.
const listenerOffer = createOffer({ localAddress: '127.0.0.1', localPort: listenPort, codecs: ['pcmu'], direction: 'recvonly', rtcpMux: false, telephoneEvent: false }).offerSdp;
const listener = await conference.addMember({ sdp: listenerOffer, callId: 'listener' });
const sdpPath = resolve(values.out);
writeFileSync(sdpPath, listenerOffer);
console.log(`listener joined; our answer:\n${listener.sdp}`);
console.log(`play the conference:\n  ffplay -nodisp -protocol_whitelist file,udp,rtp -i ${sdpPath}\n`);

// The talker: our offer names our port and Opus as payload type 111.
const talker = await conference.addMember({ offer: true, callId: 'talker', rtp: { codecs: ['opus'], symmetricLatching: true } });
console.log(`our offer to a talker:\n${talker.sdp}`);
console.log(
  'talk into it (a 440 Hz tone):\n' +
    `  ffmpeg -re -f lavfi -i sine=frequency=440:sample_rate=48000:samples_per_frame=960 -c:a libopus -payload_type 111 -f rtp rtp://127.0.0.1:${talker.leg.localPort}\n`,
);
talker.member.on('talking', (event) => console.log(`talker: talking ${event.status}`));

// Something to hear meanwhile (espeak-ng; without it the conference is quiet but for the talker).
const say = (): void => void conference.speak({ sentence: 'This is a confmix conference, joined by SDP.' }).catch((error: unknown) => console.error(`speech: ${String(error)}`));
say();
const timer = setInterval(say, 6000);

process.once('SIGINT', () => {
  clearInterval(timer);
  void engine.close().then(() => process.exit(0));
});
