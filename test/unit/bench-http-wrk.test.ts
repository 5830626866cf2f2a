// The HTTP benchmark's load tool: wrk, driven by a generated Lua script, against a local server
// that records what arrives.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWrk } from '../../bench/http/wrk.ts';

const seen: Array<{ method: string; url: string; auth: string | undefined; body: string }> = [];
const server = createServer((request, response) => {
  let body = '';
  request.on('data', (d: Buffer) => (body += d.toString()));
  request.on('end', () => {
    seen.push({ method: request.method!, url: request.url!, auth: request.headers.authorization, body });
    response.statusCode = request.url === '/refused' ? 409 : 200;
    response.end('{}');
  });
});
let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('bench http: wrk', () => {
  it('sends its requests in turn with their headers and bodies, for the duration', async () => {
    seen.length = 0;
    // A body with a Lua long bracket's closer and an SDP's line ends must arrive intact.
    const tricky = JSON.stringify({ sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n', note: 'a]]b]=]c' });
    const result = await runWrk({
      baseUrl, method: 'POST', headers: { authorization: 'Basic dDpz', 'content-type': 'application/json' },
      requests: [{ path: '/a', body: '{"n":1}' }, { path: '/b', body: tricky }, { path: '/c' }],
      connections: 1, durationS: 1,
    });
    expect(result.errors).toBe(0);
    expect(result.seconds).toBeCloseTo(1, 0);
    // Every response wrk counted was a request the server saw (wrk may close with some unanswered).
    expect(result.ok).toBeGreaterThan(6);
    expect(seen.length).toBeGreaterThanOrEqual(result.ok);
    // One connection: the requests arrive in the order given, cycled (wrk may build one before
    // the first it sends, so the cycle can start anywhere).
    const cycle = ['/a', '/b', '/c'];
    const start = cycle.indexOf(seen[0].url);
    expect(seen.map((r) => r.url)).toEqual(seen.map((_, i) => cycle[(start + i) % 3]));
    const byPath = (path: string) => seen.find((r) => r.url === path)!;
    expect(byPath('/a')).toMatchObject({ method: 'POST', auth: 'Basic dDpz', body: '{"n":1}' });
    expect(JSON.parse(byPath('/b').body)).toEqual(JSON.parse(tricky));
    expect(byPath('/c').body).toBe('');
  });

  it('counts responses with another status as errors, not as served', async () => {
    const result = await runWrk({ baseUrl, method: 'GET', headers: {}, requests: [{ path: '/refused' }], connections: 2, durationS: 1 });
    expect(result.ok).toBe(0);
    expect(result.errors).toBeGreaterThan(0);
  });
});
