// The cluster's store: the same documents and live records as the SQLite store, in Redis, so
// every server of a cluster reads and writes one set.
//   doc:<account>:<collection>:<id>     the StoredDocument as JSON
//   docs:<account>:<collection>         sorted set of ids by creation time
//   live:<account>:<document>           list of LiveRecords, newest last
//   live-open                           set of "<account>\n<document>\n<startedMs>" still live
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { nextRevision } from './DocumentStore.ts';
import type { DocumentStore, LiveRecord, StoredDocument } from './DocumentStore.ts';

/** Documents in Redis, under a key prefix. */
export class RedisDocumentStore implements DocumentStore {
  readonly #redis: Redis;
  readonly #prefix: string;

  /** A store on a connection its owner opened and closes. */
  constructor(redis: Redis, prefix = 'confmix:store:') {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #doc(accountId: string, collection: string, id: string): string {
    return `${this.#prefix}doc:${accountId}:${collection}:${id}`;
  }

  #index(accountId: string, collection: string): string {
    return `${this.#prefix}docs:${accountId}:${collection}`;
  }

  #live(accountId: string, documentId: string): string {
    return `${this.#prefix}live:${accountId}:${documentId}`;
  }

  async list(accountId: string, collection: string): Promise<StoredDocument[]> {
    const ids = await this.#redis.zrange(this.#index(accountId, collection), 0, -1);
    if (ids.length === 0) return [];
    const values = await this.#redis.mget(ids.map((id) => this.#doc(accountId, collection, id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as StoredDocument);
  }

  async get(accountId: string, collection: string, id: string): Promise<StoredDocument | undefined> {
    const json = await this.#redis.get(this.#doc(accountId, collection, id));
    return json === null ? undefined : (JSON.parse(json) as StoredDocument);
  }

  async create(accountId: string, collection: string, data: Record<string, unknown>, id = randomBytes(16).toString('hex')): Promise<StoredDocument> {
    const now = Date.now();
    const document: StoredDocument = { id, accountId, data, revision: nextRevision(undefined, JSON.stringify(data)), createdMs: now, modifiedMs: now };
    await this.#redis.multi().set(this.#doc(accountId, collection, id), JSON.stringify(document)).zadd(this.#index(accountId, collection), now, id).exec();
    return document;
  }

  async replace(accountId: string, collection: string, id: string, data: Record<string, unknown>): Promise<StoredDocument | undefined> {
    const existing = await this.get(accountId, collection, id);
    if (!existing) return undefined;
    const document: StoredDocument = { ...existing, data, revision: nextRevision(existing.revision, JSON.stringify(data)), modifiedMs: Date.now() };
    // Only if it still exists (a delete in between wins).
    const written = await this.#redis.set(this.#doc(accountId, collection, id), JSON.stringify(document), 'XX');
    return written === 'OK' ? document : undefined;
  }

  async delete(accountId: string, collection: string, id: string): Promise<boolean> {
    const [[, removed]] = (await this.#redis.multi().del(this.#doc(accountId, collection, id)).zrem(this.#index(accountId, collection), id).exec()) as [[null, number], unknown];
    return removed > 0;
  }

  async recordLive(record: LiveRecord): Promise<void> {
    const listKey = this.#live(record.accountId, record.documentId);
    const open = `${record.accountId}\n${record.documentId}\n${record.startedMs}`;
    if (record.state === 'live') {
      await this.#redis.multi().rpush(listKey, JSON.stringify(record)).sadd(`${this.#prefix}live-open`, open).exec();
      return;
    }
    const removed = await this.#redis.srem(`${this.#prefix}live-open`, open);
    if (removed === 0) return;
    await this.#completeInList(listKey, record.startedMs, record.completedMs ?? Date.now(), record.reason);
  }

  async #completeInList(listKey: string, startedMs: number, completedMs: number, reason: string | undefined): Promise<void> {
    const entries = await this.#redis.lrange(listKey, 0, -1);
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = JSON.parse(entries[i]) as LiveRecord;
      if (entry.startedMs !== startedMs || entry.state !== 'live') continue;
      const done: LiveRecord = { ...entry, state: 'completed', completedMs, ...(reason !== undefined ? { reason } : {}) };
      await this.#redis.lset(listKey, i, JSON.stringify(done));
      return;
    }
  }

  async lastLive(accountId: string, documentId: string): Promise<LiveRecord | undefined> {
    const last = await this.#redis.lindex(this.#live(accountId, documentId), -1);
    return last === null ? undefined : (JSON.parse(last) as LiveRecord);
  }

  /**
   * In a cluster the other servers' conferences outlive one server's restart: nothing is completed
   * here. A lost server's conferences are completed by a survivor (completeLiveOf).
   */
  async completeAllLive(_reason: string, _atMs: number): Promise<number> {
    return 0;
  }

  /** Completes the still-live records of one document with `reason`; returns how many. */
  async completeLiveOf(accountId: string, documentId: string, reason: string, atMs: number): Promise<number> {
    const prefix = `${accountId}\n${documentId}\n`;
    let n = 0;
    for (const entry of await this.#redis.smembers(`${this.#prefix}live-open`)) {
      if (!entry.startsWith(prefix)) continue;
      if ((await this.#redis.srem(`${this.#prefix}live-open`, entry)) === 0) continue;
      await this.#completeInList(this.#live(accountId, documentId), Number(entry.slice(prefix.length)), atMs, reason);
      n++;
    }
    return n;
  }

  /** The connection belongs to the cluster node, which closes it. */
  async close(): Promise<void> {}
}
