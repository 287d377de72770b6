import { loadConfig } from '../config.js';
import { createDatabase, databaseOptionsFromConfig } from './database.js';
import { migrate } from './migrate.js';

const config = loadConfig();
const database = await createDatabase(databaseOptionsFromConfig(config));
try {
  const applied = await migrate(database);
  process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
} finally {
  await database.close();
}
