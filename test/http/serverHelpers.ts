// A confmix server for tests (quiet logs, one shard, its own port range) and a local HTTP
// receiver that records callbacks and answers as told.
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createServer, type ConfmixServer } from '../../src/http/server.ts';
import type { ServerConfig } from '../../src/http/config.ts';

export const ALICE = { userId: 'alice', token: 'alice-token', secret: 'alice-secret' };
export const BOB = { userId: 'bob', token: 'bob-token', secret: 'bob-secret' };

/** The Basic header of a user. */
export function basic(user: { token: string; secret: string }): string {
  return `Basic ${Buffer.from(`${user.token}:${user.secret}`).toString('base64')}`;
}

/** A server over a new one-shard engine, not listening (use app.inject) unless `listen`. */
export async function testServer(config: Partial<ServerConfig> = {}, portBase = 27000): Promise<ConfmixServer> {
  return createServer({
    config: { shards: 1, rtpPortMin: portBase, rtpPortMax: portBase + 199, users: [ALICE, BOB], port: 0, logLevel: 'silent', ...config },
    logger: pino({ level: 'silent' }),
  });
}

/** One request a receiver got. */
export interface ReceivedCallback {
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, unknown> | null;
}

/** How a receiver answers a path: `holdUntil` holds every answer until that many requests wait on the path. */
export type Behaviour = { status?: number; delayMs?: number; destroy?: boolean; holdUntil?: number };

/** A local HTTP receiver of callbacks. */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  readonly behaviours = new Map<string, Behaviour>();
  readonly server: http.Server;
  readonly #waiters = new Set<() => void>();
  readonly #held = new Map<string, Array<() => void>>();
  /** The most requests a path had waiting at once, with holdUntil. */
  readonly mostHeld = new Map<string, number>();
  /** The address it listens on. */
  host = '127.0.0.1';

  private constructor() {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const url = new URL(request.url!, 'http://x');
        const behaviour = this.behaviours.get(url.pathname) ?? {};
        const answer = (): void => {
          if (behaviour.destroy) {
            request.socket.destroy();
            return;
          }
          const text = Buffer.concat(chunks).toString();
          this.received.push({ method: request.method!, path: url.pathname, query: Object.fromEntries(url.searchParams), body: text ? (JSON.parse(text) as Record<string, unknown>) : null });
          for (const wake of [...this.#waiters]) wake();
          response.writeHead(behaviour.status ?? 200).end();
        };
        if (behaviour.holdUntil !== undefined) {
          const held = this.#held.get(url.pathname) ?? [];
          this.#held.set(url.pathname, held);
          held.push(answer);
          this.mostHeld.set(url.pathname, Math.max(this.mostHeld.get(url.pathname) ?? 0, held.length));
          if (held.length >= behaviour.holdUntil) for (const release of held.splice(0)) release();
        } else if (behaviour.delayMs) setTimeout(answer, behaviour.delayMs);
        else answer();
      });
    });
  }

  /** Listens on loopback (or on `host`, an address of a network the test made). */
  static async start(host = '127.0.0.1'): Promise<CallbackReceiver> {
    const receiver = new CallbackReceiver();
    receiver.host = host;
    receiver.server.listen(0, host);
    await once(receiver.server, 'listening');
    return receiver;
  }

  /** The URL of a path. */
  url(path: string): string {
    return `http://${this.host}:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The callbacks recorded on a path. */
  on(path: string): ReceivedCallback[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Resolves once `predicate` holds over what was received. */
  async until(predicate: (received: ReceivedCallback[]) => boolean): Promise<void> {
    while (!predicate(this.received)) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake);
          resolve();
        };
        this.#waiters.add(wake);
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Alice creates a conference through the API: its URL and id. */
export async function createConference(server: ConfmixServer, body: Record<string, unknown>): Promise<{ url: string; id: string }> {
  const response = await server.app.inject({ method: 'POST', url: '/v1/users/alice/conferences', headers: { authorization: basic(ALICE) }, payload: { from: '+1', ...body } });
  if (response.statusCode !== 201) throw new Error(`create: ${response.statusCode} ${response.body}`);
  const url = response.headers.location as string;
  return { url, id: url.split('/').pop()! };
}

/** Alice adds a member to a conference (by its URL) through the API: its URL, id and local RTP port. */
export async function addMemberTo(server: ConfmixServer, conferenceUrl: string, body: Record<string, unknown>): Promise<{ url: string; id: string; localPort: number }> {
  const response = await server.app.inject({ method: 'POST', url: `${conferenceUrl}/members`, headers: { authorization: basic(ALICE) }, payload: body });
  if (response.statusCode !== 201) throw new Error(`add member: ${response.statusCode} ${response.body}`);
  const member = JSON.parse(response.body);
  return { url: response.headers.location as string, id: member.id, localPort: member.leg.localPort };
}
