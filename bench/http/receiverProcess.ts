// The callback receiver of the HTTP benchmark, in its own process so that counting requests
// never shares an event loop with the load tool or the server: a plain node:http server that
// reads each request, answers 204 and counts it (by conference, to check per-conference order).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FromReceiver, ToReceiver } from './protocol.ts';

let received = 0;
/** Per conference: the last DTMF event's time stamp, and deliveries that went back in time. */
const lastTime = new Map<string, string>();
let outOfOrder = 0;

const server = http.createServer({ keepAliveTimeout: 30_000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received++;
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { conferenceId?: string; time?: string };
    if (body.conferenceId !== undefined && body.time !== undefined) {
      const last = lastTime.get(body.conferenceId);
      if (last !== undefined && body.time < last) outOfOrder++;
      lastTime.set(body.conferenceId, body.time);
    }
    response.writeHead(204).end();
  });
});
server.listen(0, '127.0.0.1', () => {
  const send = (message: FromReceiver): void => void process.send!(message);
  send({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events` });
  process.on('message', (message: ToReceiver) => {
    if (message.type === 'count') send({ type: 'count', received, outOfOrder, cpuUs: cpuUs() });
    else if (message.type === 'close') {
      server.closeAllConnections();
      server.close(() => process.exit(0));
    }
  });
});
process.on('disconnect', () => process.exit(0));

function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
