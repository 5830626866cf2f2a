// The default store: SQLite through better-sqlite3, one file under the data directory. The
// schema moves forward by numbered migrations recorded in `user_version`.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { nextRevision } from './DocumentStore.ts';
import type { DocumentStore, LiveRecord, StoredDocument } from './DocumentStore.ts';

/** The database file's name inside the data directory. */
export const SQLITE_FILE = 'confmix.sqlite';

// Each entry moves the schema one version up; never edit a shipped entry, append a new one.
const MIGRATIONS: string[] = [
  `CREATE TABLE documents (
     account_id TEXT NOT NULL,
     collection TEXT NOT NULL,
     id TEXT NOT NULL,
     data TEXT NOT NULL,
     revision TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     modified_ms INTEGER NOT NULL,
     PRIMARY KEY (account_id, collection, id)
   );`,
  `CREATE TABLE live_conferences (
     account_id TEXT NOT NULL,
     document_id TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('live', 'completed')),
     started_ms INTEGER NOT NULL,
     completed_ms INTEGER,
     reason TEXT
   );
   CREATE INDEX live_by_document ON live_conferences (account_id, document_id, started_ms);`,
];

interface DocumentRow {
  account_id: string;
  id: string;
  data: string;
  revision: string;
  created_ms: number;
  modified_ms: number;
}

interface LiveRow {
  account_id: string;
  document_id: string;
  state: 'live' | 'completed';
  started_ms: number;
  completed_ms: number | null;
  reason: string | null;
}

function toDocument(row: DocumentRow): StoredDocument {
  return { id: row.id, accountId: row.account_id, data: JSON.parse(row.data) as Record<string, unknown>, revision: row.revision, createdMs: row.created_ms, modifiedMs: row.modified_ms };
}


/** Documents in one SQLite file. */
export class SqliteDocumentStore implements DocumentStore {
  /** The database file (':memory:' without a data directory). */
  readonly path: string;
  readonly #db: Database.Database;

  /** Opens (or creates) `<dataDir>/confmix.sqlite`, or an in-memory database without one, and runs any migration it lacks. */
  constructor(dataDir: string | undefined) {
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
    this.path = dataDir === undefined ? ':memory:' : join(dataDir, SQLITE_FILE);
    this.#db = new Database(this.path);
    if (dataDir !== undefined) this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#migrate();
  }

  /** The schema version the file is at. */
  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  #migrate(): void {
    const at = this.schemaVersion;
    for (let version = at; version < MIGRATIONS.length; version++) {
      this.#db.transaction(() => {
        this.#db.exec(MIGRATIONS[version]);
        this.#db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }

  async list(accountId: string, collection: string): Promise<StoredDocument[]> {
    const rows = this.#db.prepare('SELECT * FROM documents WHERE account_id = ? AND collection = ? ORDER BY created_ms, id').all(accountId, collection) as DocumentRow[];
    return rows.map(toDocument);
  }

  async get(accountId: string, collection: string, id: string): Promise<StoredDocument | undefined> {
    const row = this.#db.prepare('SELECT * FROM documents WHERE account_id = ? AND collection = ? AND id = ?').get(accountId, collection, id) as DocumentRow | undefined;
    return row && toDocument(row);
  }

  async create(accountId: string, collection: string, data: Record<string, unknown>, id = randomBytes(16).toString('hex')): Promise<StoredDocument> {
    const json = JSON.stringify(data);
    const now = Date.now();
    const revision = nextRevision(undefined, json);
    this.#db.prepare('INSERT INTO documents (account_id, collection, id, data, revision, created_ms, modified_ms) VALUES (?, ?, ?, ?, ?, ?, ?)').run(accountId, collection, id, json, revision, now, now);
    return { id, accountId, data, revision, createdMs: now, modifiedMs: now };
  }

  async replace(accountId: string, collection: string, id: string, data: Record<string, unknown>): Promise<StoredDocument | undefined> {
    const existing = await this.get(accountId, collection, id);
    if (!existing) return undefined;
    const json = JSON.stringify(data);
    const now = Date.now();
    const revision = nextRevision(existing.revision, json);
    this.#db.prepare('UPDATE documents SET data = ?, revision = ?, modified_ms = ? WHERE account_id = ? AND collection = ? AND id = ?').run(json, revision, now, accountId, collection, id);
    return { ...existing, data, revision, modifiedMs: now };
  }

  async delete(accountId: string, collection: string, id: string): Promise<boolean> {
    return this.#db.prepare('DELETE FROM documents WHERE account_id = ? AND collection = ? AND id = ?').run(accountId, collection, id).changes > 0;
  }

  async recordLive(record: LiveRecord): Promise<void> {
    if (record.state === 'live') {
      this.#db.prepare("INSERT INTO live_conferences (account_id, document_id, state, started_ms) VALUES (?, ?, 'live', ?)").run(record.accountId, record.documentId, record.startedMs);
      return;
    }
    this.#db
      .prepare("UPDATE live_conferences SET state = 'completed', completed_ms = ?, reason = ? WHERE account_id = ? AND document_id = ? AND started_ms = ? AND state = 'live'")
      .run(record.completedMs ?? Date.now(), record.reason ?? null, record.accountId, record.documentId, record.startedMs);
  }

  async lastLive(accountId: string, documentId: string): Promise<LiveRecord | undefined> {
    const row = this.#db.prepare('SELECT * FROM live_conferences WHERE account_id = ? AND document_id = ? ORDER BY started_ms DESC, rowid DESC LIMIT 1').get(accountId, documentId) as LiveRow | undefined;
    if (!row) return undefined;
    return {
      accountId: row.account_id,
      documentId: row.document_id,
      state: row.state,
      startedMs: row.started_ms,
      ...(row.completed_ms !== null ? { completedMs: row.completed_ms } : {}),
      ...(row.reason !== null ? { reason: row.reason } : {}),
    };
  }

  async completeAllLive(reason: string, atMs: number): Promise<number> {
    return this.#db.prepare("UPDATE live_conferences SET state = 'completed', completed_ms = ?, reason = ? WHERE state = 'live'").run(atMs, reason).changes;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
