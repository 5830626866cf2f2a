// Kazoo accounts: each `{accountId}` path is reached with its own `X-Auth-Token`. A token of
// another account asks for a path it does not own: 404, exactly like an account that does not exist.
import { timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../../index.ts';
import { KazooError } from './envelope.ts';

/** One account of the Kazoo API. */
export interface AccountConfig {
  /** Its id, the `{accountId}` of its paths. */
  accountId: string;
  /** The X-Auth-Token that reaches it. */
  token: string;
}

/** Parses `accountId:token[,accountId:token…]` (CONFMIX_ACCOUNTS, --accounts). */
export function parseAccounts(value: string, name = 'accounts'): AccountConfig[] {
  const accounts = value.split(',').filter((entry) => entry.trim() !== '').map((entry) => {
    const parts = entry.trim().split(':');
    if (parts.length !== 2 || parts.some((p) => !/^[A-Za-z0-9._~-]{1,128}$/.test(p))) {
      throw new InvalidArgumentError(`${name}: each account is accountId:token (1..128 of A-Z a-z 0-9 . _ ~ -), got ${JSON.stringify(entry)}`);
    }
    return { accountId: parts[0], token: parts[1] };
  });
  const ids = new Set<string>();
  for (const account of accounts) {
    if (ids.has(account.accountId)) throw new InvalidArgumentError(`${name}: account ${account.accountId} is configured twice`);
    ids.add(account.accountId);
  }
  return accounts;
}

/** Every account, checked by token. */
export class AccountRegistry {
  readonly #accounts: { accountId: string; token: Buffer }[];

  constructor(accounts: AccountConfig[]) {
    this.#accounts = accounts.map((a) => ({ accountId: a.accountId, token: Buffer.from(a.token) }));
  }

  /** How many accounts there are. */
  get size(): number {
    return this.#accounts.length;
  }

  /** The account a token reaches, or undefined (compared in constant time). */
  accountOf(token: string): string | undefined {
    const given = Buffer.from(token);
    let found: string | undefined;
    for (const account of this.#accounts) {
      if (account.token.length === given.length && timingSafeEqual(account.token, given)) found = account.accountId;
    }
    return found;
  }

  /** The path's account when the token reaches it: 401 without a valid token, 404 for another account's path. */
  authenticate(token: string | string[] | undefined, pathAccountId: string): string {
    if (typeof token !== 'string' || token === '') throw new KazooError(401, 'ERR_KAZOO_UNAUTHORIZED', 'invalid credentials', { message: 'an X-Auth-Token header is required' });
    const accountId = this.accountOf(token);
    if (accountId === undefined) throw new KazooError(401, 'ERR_KAZOO_UNAUTHORIZED', 'invalid credentials', { message: 'unknown X-Auth-Token' });
    if (accountId !== pathAccountId) throw KazooError.notFound('account', pathAccountId);
    return accountId;
  }
}
