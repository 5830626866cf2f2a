// Where stored documents live, behind one small interface: SQLite by default (one file under the
// data directory); a cluster puts Redis behind the same interface.
import { createHash } from 'node:crypto';

/** Kazoo's `_rev` after `previous` for a document serialized as `json`: `<n>-<md5>`. */
export function nextRevision(previous: string | undefined, json: string): string {
  const n = previous === undefined ? 1 : Number(previous.split('-')[0]) + 1;
  return `${n}-${createHash('md5').update(json).digest('hex')}`;
}

/** One stored document of an account's collection. */
export interface StoredDocument {
  /** Its id (32 hex characters, Kazoo's shape). */
  id: string;
  /** The account that owns it. */
  accountId: string;
  /** Its fields, without the id and the revision. */
  data: Record<string, unknown>;
  /** Kazoo's `_rev`: `<n>-<hash>`, new on every write. */
  revision: string;
  /** When it was created, ms since the epoch. */
  createdMs: number;
  /** When it was last written, ms since the epoch. */
  modifiedMs: number;
}

/** The state of a live conference a document started, as far as a restart must know it. */
export interface LiveRecord {
  /** The document it runs from. */
  documentId: string;
  /** Its account. */
  accountId: string;
  /** 'live' while running; 'completed' once it ended (or the server restarted under it). */
  state: 'live' | 'completed';
  /** When it started, ms since the epoch. */
  startedMs: number;
  /** When it completed, ms since the epoch. */
  completedMs?: number;
  /** Why it completed ('last-member-left', 'deleted', 'restart', ...). */
  reason?: string;
}

/** The store every document route goes through. Each call is scoped to one account. */
export interface DocumentStore {
  /** Every document of a collection of an account, oldest first. */
  list(accountId: string, collection: string): Promise<StoredDocument[]>;
  /** One document, or undefined (another account's id is undefined too). */
  get(accountId: string, collection: string, id: string): Promise<StoredDocument | undefined>;
  /** Stores a new document; its id is chosen here unless given. */
  create(accountId: string, collection: string, data: Record<string, unknown>, id?: string): Promise<StoredDocument>;
  /** Replaces a document's fields; undefined when it does not exist. */
  replace(accountId: string, collection: string, id: string, data: Record<string, unknown>): Promise<StoredDocument | undefined>;
  /** Deletes a document; false when it did not exist. */
  delete(accountId: string, collection: string, id: string): Promise<boolean>;
  /** Records a live conference's start or end. */
  recordLive(record: LiveRecord): Promise<void>;
  /** The last live record of a document, if any. */
  lastLive(accountId: string, documentId: string): Promise<LiveRecord | undefined>;
  /** Marks every record still 'live' as completed with `reason` (a restart: nothing survives it); returns how many. */
  completeAllLive(reason: string, atMs: number): Promise<number>;
  /** Closes the store. */
  close(): Promise<void>;
}
