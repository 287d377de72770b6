import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createDatabase, databaseOptionsFromConfig } from './db/database.js';
import { migrate } from './db/migrate.js';
import { refreshEmbeddedStatistics } from './db/statistics.js';

async function main() {
  const config = loadConfig();
  const database = await createDatabase(databaseOptionsFromConfig(config));
  await migrate(database);
  await refreshEmbeddedStatistics(database);
  const app = await buildApp({ config, database });
  if (config.jwtSecretGenerated) {
    app.log.warn('JWT_SECRET is not set: using a random secret, so sessions end when the server restarts');
  }
  if (config.secretsKeyIsDevelopment) {
    app.log.warn('SECRETS_KEY is not set: stored Slack secrets are encrypted with the public development key; set SECRETS_KEY in production (docs/slack.md)');
  }
  app.log.info({ database: database.kind, dataDir: database.kind === 'pglite' ? config.dataDir : undefined }, 'database ready');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: no new connections, finishing in-flight requests');
    const force = setTimeout(() => {
      app.log.error('shutdown took too long, exiting');
      process.exit(1);
    }, 15_000);
    force.unref();
    try {
      await app.close();
      await database.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error while shutting down');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
