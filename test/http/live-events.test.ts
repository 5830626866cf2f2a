// Live events: Server-Sent Events and a WebSocket carry the callback payloads of a user's
// conferences, filtered by conference when asked; another user's events never show.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { WebSocket } from 'ws';
import type { ConfmixServer } from '../../src/http/server.ts';
import { ALICE, BOB, basic, testServer } from './serverHelpers.ts';

let server: ConfmixServer;
let base: string;

beforeAll(async () => {
  server = await testServer({}, 28600);
  base = await server.listen();
});
afterAll(async () => {
  await server.close();
});

async function api(method: string, path: string, body: unknown, user = ALICE): Promise<{ status: number; location?: string }> {
  const response = await fetch(`${base}${path}`, { method, headers: { authorization: basic(user), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return { status: response.status, location: response.headers.get('location') ?? undefined };
}

/** An SSE stream's parsed `data:` payloads, as they arrive. */
function openSse(path: string, user = ALICE): Promise<{ events: any[]; next(count: number): Promise<void>; close(): void; status: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}${path}`, { headers: { authorization: basic(user), accept: 'text/event-stream' } }, (response) => {
      const events: any[] = [];
      const waiters = new Set<() => void>();
      let buffer = '';
      response.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)));
        }
        for (const wake of [...waiters]) wake();
      });
      resolve({
        events,
        status: response.statusCode!,
        next: (count) =>
          new Promise<void>((done) => {
            const check = (): void => {
              if (events.length >= count) {
                waiters.delete(check);
                done();
              }
            };
            waiters.add(check);
            check();
          }),
        close: () => request.destroy(),
      });
    });
    request.on('error', reject);
  });
}

describe('live events', () => {
  it('streams the callback payloads as Server-Sent Events, filtered by conference', async () => {
    const all = await openSse('/v1/users/alice/events');
    expect(all.status).toBe(200);
    const first = await api('POST', '/v1/users/alice/conferences', { from: '+1', tag: 'sse' });
    const firstId = first.location!.split('/').pop()!;
    const only = await openSse(`/v1/users/alice/events?conferenceId=${firstId}`);
    const bobs = await openSse('/v1/users/bob/events', BOB);
    await api('POST', '/v1/users/alice/conferences', { from: '+1' });
    await api('POST', first.location!, { state: 'completed' });
    await all.next(3);
    expect(all.events.map((e) => `${e.eventType} ${e.status}`)).toEqual(['conference created', 'conference created', 'conference completed']);
    expect(all.events[0]).toMatchObject({ conferenceId: firstId, tag: 'sse', conferenceUri: `${base}/v1/users/alice/conferences/${firstId}` });
    await only.next(1);
    expect(only.events.map((e) => [e.conferenceId, e.status])).toEqual([[firstId, 'completed']]);
    // Bob's stream saw nothing of alice's; his own conference shows up.
    await api('POST', '/v1/users/bob/conferences', { from: '+2' }, BOB);
    await bobs.next(1);
    expect(bobs.events).toHaveLength(1);
    expect(bobs.events[0].conferenceUri).toMatch(/\/v1\/users\/bob\//);
    for (const stream of [all, only, bobs]) stream.close();
  });

  it('refuses a stream without credentials or for another user', async () => {
    const anonymous = await fetch(`${base}/v1/users/alice/events`);
    expect(anonymous.status).toBe(401);
    const other = await fetch(`${base}/v1/users/bob/events`, { headers: { authorization: basic(ALICE) } });
    expect(other.status).toBe(404);
  });

  it('sends the same payloads over a WebSocket', async () => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/v1/users/alice/events/ws`, { headers: { authorization: basic(ALICE) } });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const got: any[] = [];
    const arrived = new Promise<void>((resolve) => {
      socket.on('message', (data) => {
        got.push(JSON.parse(String(data)));
        if (got.length === 2) resolve();
      });
    });
    const created = await api('POST', '/v1/users/alice/conferences', { from: '+1', tag: 'ws' });
    await api('POST', created.location!, { state: 'completed' });
    await arrived;
    expect(got.map((e) => [e.eventType, e.status, e.tag])).toEqual([['conference', 'created', 'ws'], ['conference', 'completed', 'ws']]);
    socket.close();
    const refused = new WebSocket(`${base.replace('http', 'ws')}/v1/users/alice/events/ws`);
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, response) => resolve(response.statusCode!)));
    expect(status).toBe(401);
  });
});
