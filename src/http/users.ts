// Users of the API, their credentials, their conferences and their limits. A user reaches only
// its own conferences: any other id is "not found", whether or not it exists.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Conference } from '../index.ts';
import type { UserConfig, UserLimits } from './config.ts';
import { HttpError } from './httpErrors.ts';

/** One user at run time. */
export class User {
  /** Its id, the `{userId}` of its paths. */
  readonly userId: string;
  /** Its limits (its own over the server's). */
  readonly limits: UserLimits;
  /** Its conferences' ids, oldest first. */
  readonly conferenceIds: string[] = [];
  readonly #token: Buffer;
  readonly #secret: Buffer;
  #tokens: number;
  #refilledAt = performance.now();

  constructor(config: UserConfig, defaults: UserLimits) {
    this.userId = config.userId;
    this.limits = { ...defaults, ...config.limits };
    this.#token = Buffer.from(config.token);
    this.#secret = Buffer.from(config.secret);
    this.#tokens = this.limits.requestsPerSecond;
  }

  /** True when `token:secret` are this user's (compared in constant time). */
  matches(token: Buffer, secret: Buffer): boolean {
    return sameBytes(token, this.#token) && sameBytes(secret, this.#secret);
  }

  /** Takes one request from its per-second budget; false when spent. */
  takeRequest(): boolean {
    const rate = this.limits.requestsPerSecond;
    if (rate === 0) return true;
    const now = performance.now();
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#refilledAt) * rate) / 1000);
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Accepted Authorization headers remembered, so a client's repeated header is not decoded and compared again. */
const AUTHORIZATION_CACHE_SIZE = 1024;

/** Every user, by id and by token. */
export class UserRegistry {
  readonly #byId = new Map<string, User>();
  readonly #owner = new Map<string, User>();
  /** Headers that authenticated, and their user (only valid ones, so a stranger cannot fill it). */
  readonly #accepted = new Map<string, User>();

  constructor(users: UserConfig[], defaults: UserLimits) {
    for (const config of users) {
      if (this.#byId.has(config.userId)) throw new HttpError(500, 'ERR_CONFIG', `user ${config.userId} is configured twice`);
      this.#byId.set(config.userId, new User(config, defaults));
    }
  }

  /** A user made up for a loopback server without configured users. */
  static generatedUser(): UserConfig {
    return { userId: 'local', token: `t-${randomBytes(9).toString('base64url')}`, secret: randomBytes(18).toString('base64url') };
  }

  /** How many users there are. */
  get size(): number {
    return this.#byId.size;
  }

  /** Every user. */
  get users(): User[] {
    return [...this.#byId.values()];
  }

  /**
   * The user an `Authorization: Basic` header names, which must be the user of the path: 401
   * without valid credentials, 404 when valid credentials ask for another user's path.
   */
  authenticate(authorization: string | undefined, pathUserId: string | undefined): User {
    const known = authorization === undefined ? undefined : this.#accepted.get(authorization);
    const found = known ?? this.#decode(authorization);
    if (pathUserId !== undefined && pathUserId !== found.userId) throw new HttpError(404, 'ERR_NOT_FOUND', `no user ${pathUserId}`);
    return found;
  }

  /** The user a header's credentials name (401 otherwise); remembers the header. */
  #decode(authorization: string | undefined): User {
    const match = authorization === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
    if (!match) throw new HttpError(401, 'ERR_UNAUTHORIZED', 'HTTP Basic credentials (token:secret) are required');
    const decoded = Buffer.from(match[1], 'base64');
    const colon = decoded.indexOf(0x3a);
    if (colon < 0) throw new HttpError(401, 'ERR_UNAUTHORIZED', 'HTTP Basic credentials must be token:secret');
    const token = decoded.subarray(0, colon);
    const secret = decoded.subarray(colon + 1);
    let found: User | undefined;
    for (const user of this.#byId.values()) if (user.matches(token, secret)) found = user;
    if (!found) throw new HttpError(401, 'ERR_UNAUTHORIZED', 'unknown token or wrong secret');
    if (this.#accepted.size >= AUTHORIZATION_CACHE_SIZE) this.#accepted.clear();
    this.#accepted.set(authorization!, found);
    return found;
  }

  /** Records a new conference of a user. */
  own(user: User, conference: Conference): void {
    user.conferenceIds.push(conference.id);
    this.#owner.set(conference.id, user);
  }

  /** Forgets a conference the engine no longer keeps. */
  forget(conferenceId: string): void {
    const user = this.#owner.get(conferenceId);
    if (!user) return;
    this.#owner.delete(conferenceId);
    const at = user.conferenceIds.indexOf(conferenceId);
    if (at >= 0) user.conferenceIds.splice(at, 1);
  }

  /** The user owning a conference. */
  ownerOf(conferenceId: string): User | undefined {
    return this.#owner.get(conferenceId);
  }
}
