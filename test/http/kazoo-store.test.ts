// The document store across restarts: documents survive, a live conference does not (a graceful
// close completes it; a crash leaves it 'live' and the next start marks it completed), the schema
// migrates once, and the accounts and data directory come from flags, environment or file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../../src/http/config.ts';
import { SQLITE_FILE, SqliteDocumentStore } from '../../src/store/SqliteDocumentStore.ts';
import { SdpPeer } from '../helpers/sdpPeer.ts';
import { testServer } from './serverHelpers.ts';
import { ACCOUNTS, ACME, createDocument, kazoo } from './kazooHelpers.ts';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'confmix-kazoo-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('documents across restarts', () => {
  it('a document survives a restart; its live conference does not and shows as completed', async () => {
    const dir = dataDir();
    let server = await testServer({ accounts: ACCOUNTS, dataDir: dir }, 29100);
    const id = await createDocument(server, { name: 'Persistent', member: { pins: ['4242'] }, profile: { 'announce-count': 5 } });
    const before = await kazoo(server, 'GET', `/${id}`);
    const peer = await SdpPeer.create();
    try {
      const joined = await kazoo(server, 'PUT', `/${id}/participants`, { sdp: peer.offer(), pin: '4242' });
      expect(joined.statusCode).toBe(201);
      expect((await kazoo(server, 'GET', `/${id}`)).body.data._read_only).toMatchObject({ members: 1, conference: { state: 'live' } });
      await server.close();

      server = await testServer({ accounts: ACCOUNTS, dataDir: dir }, 29100);
      const after = await kazoo(server, 'GET', `/${id}`);
      expect(after.body.revision).toBe(before.body.revision);
      const { _read_only: readOnly, ...document } = after.body.data;
      const { _read_only: _before, ...documentBefore } = before.body.data;
      expect(document).toEqual(documentBefore);
      expect(readOnly).toMatchObject({ members: 0, admins: 0, participants: [], conference: { state: 'completed', reason: 'engine-closed', completed_time: expect.any(Number) } });
      expect((await kazoo(server, 'GET', `/${id}/participants`)).body.data).toEqual([]);
    } finally {
      peer.close();
      await server.close();
    }
  });

  it('a conference left live by a crash is marked completed (reason restart) when the server starts', async () => {
    const dir = dataDir();
    const store = new SqliteDocumentStore(dir);
    const doc = await store.create(ACME.accountId, 'conferences', { name: 'Crashed', member: { join_muted: true, join_deaf: false, numbers: [], pins: [] } });
    await store.recordLive({ accountId: ACME.accountId, documentId: doc.id, state: 'live', startedMs: Date.now() - 5000 });
    await store.close(); // the process died here: nothing completed the conference

    const server = await testServer({ accounts: ACCOUNTS, dataDir: dir }, 29100);
    try {
      expect((await kazoo(server, 'GET', `/${doc.id}`)).body.data._read_only).toMatchObject({ members: 0, conference: { state: 'completed', reason: 'restart' } });
    } finally {
      await server.close();
    }
  });

  it('keeps one SQLite file under the data directory and migrates it once', async () => {
    const dir = dataDir();
    const store = new SqliteDocumentStore(dir);
    expect(store.path).toBe(join(dir, SQLITE_FILE));
    expect(store.schemaVersion).toBe(2);
    await store.create('a', 'conferences', { name: 'x' });
    await store.close();
    const reopened = new SqliteDocumentStore(dir);
    expect(reopened.schemaVersion).toBe(2);
    expect(await reopened.list('a', 'conferences')).toHaveLength(1);
    expect(await reopened.list('b', 'conferences')).toHaveLength(0);
    expect(await reopened.get('b', 'conferences', (await reopened.list('a', 'conferences'))[0].id)).toBeUndefined();
    await reopened.close();
    const memory = new SqliteDocumentStore(undefined);
    expect(memory.path).toBe(':memory:');
    await memory.close();
  });
});

describe('settings', () => {
  it('reads accounts and the data directory from flags, environment and file, flags first', () => {
    const dir = dataDir();
    const file = join(dir, 'confmix.json');
    writeFileSync(file, JSON.stringify({ accounts: 'fileacct:filetoken', dataDir: '/srv/file' }));
    expect(loadServerConfig([], {})).toMatchObject({ accounts: [] });
    expect(loadServerConfig([], {}).dataDir).toBeUndefined();
    expect(loadServerConfig(['--config', file], {})).toMatchObject({ accounts: [{ accountId: 'fileacct', token: 'filetoken' }], dataDir: '/srv/file' });
    expect(loadServerConfig([], { CONFMIX_CONFIG: file, CONFMIX_ACCOUNTS: 'a1:t1,a2:t2', CONFMIX_DATA_DIR: '/srv/env' })).toMatchObject({
      accounts: [{ accountId: 'a1', token: 't1' }, { accountId: 'a2', token: 't2' }],
      dataDir: '/srv/env',
    });
    expect(loadServerConfig(['--accounts', 'f1:ft', '--data-dir=/srv/flag'], { CONFMIX_ACCOUNTS: 'a1:t1', CONFMIX_DATA_DIR: '/srv/env' })).toMatchObject({ accounts: [{ accountId: 'f1', token: 'ft' }], dataDir: '/srv/flag' });
    expect(() => loadServerConfig([], { CONFMIX_ACCOUNTS: 'lonely' })).toThrow(/CONFMIX_ACCOUNTS: each account is accountId:token/);
    expect(() => loadServerConfig(['--accounts', 'a:b,a:c'], {})).toThrow(/--accounts: account a is configured twice/);
    expect(() => loadServerConfig(['--data-dir', ' '], {})).toThrow(/--data-dir must be a directory path/);
  });
});
