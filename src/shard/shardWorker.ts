// A shard's worker thread entry point.
import { parentPort, workerData } from 'node:worker_threads';
import { ShardHost } from './ShardHost.ts';
import type { ShardWorkerData } from './messages.ts';

if (!parentPort) throw new Error('shardWorker must run in a worker thread');

const data = workerData as ShardWorkerData;
const host = new ShardHost(parentPort);

host.handle('ping', () => ({ shardId: data.shardId }));
host.handle('close', () => {
  setImmediate(() => process.exit(0));
  return {};
});

host.ready();
