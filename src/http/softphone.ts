// The browser softphone's files, served at /softphone: its page and stylesheet from web/softphone/
// and its bundle from web/softphone/dist/ (built by `npm run build:softphone`).
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './httpErrors.ts';
import type { BrowserTransport } from './config.ts';

const ROOT = new URL('../../web/softphone/', import.meta.url);

const FILES: Record<string, { path: string; type: string }> = {
  '/softphone': { path: 'index.html', type: 'text/html; charset=utf-8' },
  '/softphone/style.css': { path: 'style.css', type: 'text/css; charset=utf-8' },
  '/softphone/softphone.js': { path: 'dist/softphone.js', type: 'text/javascript; charset=utf-8' },
  '/softphone/softphone.js.map': { path: 'dist/softphone.js.map', type: 'application/json' },
};

/** Registers the softphone's routes; the page asks /softphone/transport.json how to join. */
export function registerSoftphoneRoutes(app: FastifyInstance, options: { transport: BrowserTransport } = { transport: 'werift' }): void {
  app.get('/softphone/transport.json', { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').send({ transport: options.transport }));
  for (const [route, file] of Object.entries(FILES)) {
    app.get(route, { schema: { hide: true } }, async (_request, reply) => {
      let body: Buffer;
      try {
        body = await readFile(new URL(file.path, ROOT));
      } catch {
        throw new HttpError(503, 'ERR_NOT_READY', `the softphone's ${file.path} is missing: run npm run build:softphone`);
      }
      return reply.type(file.type).header('cache-control', 'no-cache').send(body);
    });
  }
}
