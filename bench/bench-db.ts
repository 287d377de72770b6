import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { createDatabase, type Database } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';

/** The PostgreSQL server the benchmarks run against (BENCH_DATABASE_URL overrides). */
export const BENCH_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function urlOf(name: string): string {
  const u = new URL(BENCH_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Drops and recreates database `name`, migrates it, and answers its URL. */
export async function freshDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: BENCH_ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = urlOf(name);
  const database: Database = await createDatabase({ kind: 'postgres', url, poolSize: 2 });
  await migrate(database);
  await database.close();
  return url;
}

export interface BenchServer {
  port: number;
  authorization: string;
  orgId: string;
  unitId: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts bench/server.ts in its own process on database `url` and waits until it listens. */
export async function startServer(url: string, env: Record<string, string> = {}): Promise<BenchServer> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the server there.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'bench/server.ts'], {
    env: { ...process.env, ...env, BENCH_DB_URL: url },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = await new Promise<Omit<BenchServer, 'pid' | 'stop'>>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
  });
  return {
    ...ready,
    pid: child.pid as number,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
