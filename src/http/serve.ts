// `confmix serve`: reads the settings, starts the server, prints a generated user's credentials
// once, and closes gracefully on SIGINT or SIGTERM (exit code 0); with --drain, SIGTERM first
// waits for this server's conferences to end.
import { ConfmixError } from '../index.ts';
import { loadServerConfig, SERVE_FLAGS } from './config.ts';
import { createServer } from './server.ts';

/** Runs the server until a signal; resolves with the exit code. */
export async function serve(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(['usage: confmix serve [flags]', '', ...Object.entries(SERVE_FLAGS).map(([flag, what]) => `  ${flag.padEnd(14)} ${what}`)].join('\n'));
    return 0;
  }
  let server;
  try {
    server = await createServer({ config: loadServerConfig(argv) });
  } catch (error) {
    console.error(`confmix serve: ${error instanceof ConfmixError ? error.message : String(error)}`);
    return 2;
  }
  const url = await server.listen();
  const user = server.generatedUser;
  if (user) {
    console.log(`confmix: no user configured, so one was created for this loopback server (shown once):`);
    console.log(`  userId ${user.userId}  token ${user.token}  secret ${user.secret}`);
    console.log(`  curl -u ${user.token}:${user.secret} ${url}/v1/users/${user.userId}/conferences`);
  }
  console.log(`confmix: serving ${url}  (status page ${url}/, API page ${url}/docs)`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  if (signal === 'SIGTERM' && server.config.drain) {
    server.app.log.info({ signal }, 'draining: no new conferences; exiting once ours have ended');
    const drained = await server.drain();
    if (!drained) server.app.log.warn({ conferences: server.engine.conferences.length }, 'drain: conferences still running after the wait');
  }
  server.app.log.info({ signal }, 'shutting down');
  await server.close();
  return 0;
}
