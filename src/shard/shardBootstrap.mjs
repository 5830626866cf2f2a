// Starts a shard worker. Under a TypeScript loader, the worker needs tsx registered too.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
