// A shard's worker thread entry point.
import { parentPort, workerData } from 'node:worker_threads';
import { ShardRequestServer } from './ShardRequestServer.ts';
import { ShardConferences } from './ShardConferences.ts';
import { NativeMediaBackend } from './NativeMediaBackend.ts';
import type { ShardWorkerData } from './messages.ts';

if (!parentPort) throw new Error('shardWorker must run in a worker thread');

const data = workerData as ShardWorkerData;
const server = new ShardRequestServer(parentPort);
const conferences = new ShardConferences(server, new NativeMediaBackend({ portMin: data.portMin, portMax: data.portMax, realtimePriority: data.realtimePriority }));

server.serve({
  ping: () => ({ shardId: data.shardId }),
  close: () => {
    conferences.close();
    setImmediate(() => process.exit(0));
    return {};
  },
});

server.ready();
