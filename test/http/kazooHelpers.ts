// Kazoo API helpers for tests: two accounts, the X-Auth-Token header, and an inject caller that
// wraps requests in Kazoo's {"data": …} envelope.
import type { ConfmixServer } from '../../src/http/server.ts';

export const ACME = { accountId: 'acme0000000000000000000000000001', token: 'acme-token' };
export const GLOBEX = { accountId: 'globex00000000000000000000000002', token: 'globex-token' };
export const ACCOUNTS = [ACME, GLOBEX];

/** A Kazoo answer: status and parsed body. */
export interface KazooAnswer {
  statusCode: number;
  body: any;
}

/** Calls the Kazoo API of `server` as `account` (path relative to its conferences). */
export async function kazoo(server: ConfmixServer, method: string, path: string, data?: unknown, account = ACME, pathAccount = account.accountId): Promise<KazooAnswer> {
  const response = await server.app.inject({
    method: method as 'GET',
    url: `/v2/accounts/${pathAccount}/conferences${path}`,
    headers: { 'x-auth-token': account.token, ...(data === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(data === undefined ? {} : { payload: JSON.stringify({ data }) }),
  });
  return { statusCode: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
}

/** Creates a document; returns its id. */
export async function createDocument(server: ConfmixServer, data: Record<string, unknown> = {}, account = ACME): Promise<string> {
  const answer = await kazoo(server, 'PUT', '', { name: 'Room', ...data }, account);
  if (answer.statusCode !== 201) throw new Error(`create failed: ${JSON.stringify(answer.body)}`);
  return answer.body.data.id as string;
}
