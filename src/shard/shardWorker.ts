// A shard's worker thread entry point.
import { parentPort, workerData } from 'node:worker_threads';
import { ShardHost } from './ShardHost.ts';
import { ConferenceHost } from './ConferenceHost.ts';
import { NativeMediaBackend } from './NativeMediaBackend.ts';
import type { ShardWorkerData } from './messages.ts';

if (!parentPort) throw new Error('shardWorker must run in a worker thread');

const data = workerData as ShardWorkerData;
const host = new ShardHost(parentPort);

host.handle('ping', () => ({ shardId: data.shardId }));
const conferences = new ConferenceHost(host, new NativeMediaBackend({ portMin: data.portMin, portMax: data.portMax, realtimePriority: data.realtimePriority }));

host.handle('close', () => {
  conferences.close();
  setImmediate(() => process.exit(0));
  return {};
});

host.ready();
