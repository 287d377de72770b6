import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { buildServer } from '../../scripts/build-server.mjs';

/** Where the bench servers' logs go (their stdout, as `npm start > file` would). */
export const BENCH_TMP = join(tmpdir(), 'leadvibe-bench');

export interface BenchProcess<Ready> {
  pid: number;
  ready: Ready;
  logFile: string;
  /** Sends a command over IPC and waits for the process's answer to it. */
  ask<T>(message: { cmd: string }): Promise<T>;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `script` in its own Node process (a .ts one under the tsx loader). The process tells it is
 * ready with one IPC message; its stdout (the app's pino log) goes to a file, so the log costs what
 * it costs a user who redirects it, and the bench's own process is not the one reading it.
 */
export async function startProcess<Ready>(script: string, env: Record<string, string>, label: string): Promise<BenchProcess<Ready>> {
  mkdirSync(BENCH_TMP, { recursive: true });
  const logFile = join(BENCH_TMP, `${label}.log`);
  const log = openSync(logFile, 'w');
  // BENCH_CPU_PROF is handled inside bench/server.ts (profile of the measured window only).
  const child: ChildProcess = spawn(process.execPath, script.endsWith('.ts') ? ['--import', 'tsx', script] : [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', log, 'inherit', 'ipc'],
  });
  closeSync(log);
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.once('message', (m) => resolve(m as Ready));
  });
  child.removeAllListeners('exit');
  return {
    pid: child.pid as number,
    ready,
    logFile,
    ask<T>(message: { cmd: string }) {
      return new Promise<T>((resolve) => {
        child.once('message', (m) => resolve(m as T));
        child.send(message);
      });
    },
    // A graceful stop waits for the scoring passes in flight; one stuck for minutes is killed.
    stop: (graceMs = 30_000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface AppReady {
  port: number;
  authorization: string;
  orgId: string;
  unitId: string;
}

const REPO = resolve(import.meta.dirname, '../..');
let harness: Promise<string> | null = null;

/** bench/server.ts as plain JavaScript (dist-bench/server.js), built once per bench process. */
function compiledHarness(): Promise<string> {
  harness ??= build({
    entryPoints: [join(REPO, 'bench/server.ts')], outfile: join(REPO, 'dist-bench/server.js'),
    format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning',
  }).then(() => join(REPO, 'dist-bench/server.js'));
  return harness;
}

/**
 * The real app (bench/server.ts) on database `url`, configured as `npm start` is by default:
 * scoring worker on, LOG_LEVEL info, pool of 10 (BENCH_SCORING=false turns the worker off,
 * BENCH_LOG_LEVEL sets the log level; the app's own variables, e.g. SCORING_BATCH_SIZE, pass through).
 * Run as `npm start` runs it: the checkout's src/ compiled to its dist/ (scripts/build-server.mjs)
 * and the harness compiled too, so no TypeScript loader is in the process (its memory counts in
 * the reported RSS). BENCH_SERVER_DIR (in env or inherited) runs another checkout's app.
 */
export async function startAppServer(url: string, env: Record<string, string> = {}, label = 'app-server') {
  const appDir = resolve((env.BENCH_SERVER_DIR ?? process.env.BENCH_SERVER_DIR) || REPO);
  await buildServer(appDir);
  // BENCH_SERVER_NODE_OPTIONS: the app server's NODE_OPTIONS only (bench/README.md, Knobs).
  const nodeOptions: Record<string, string> = process.env.BENCH_SERVER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : {};
  return startProcess<AppReady>(await compiledHarness(), { ...env, ...nodeOptions, BENCH_DB_URL: url, BENCH_APP_DIR: appDir }, label);
}

/** The checkout a server runs (BENCH_SERVER_DIR), for reports: its path and commit. */
export function describeCheckout(dir: string | undefined): string {
  const path = dir || '.';
  try {
    const commit = execFileSync('git', ['-C', path, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
    const branch = execFileSync('git', ['-C', path, 'rev-parse', '--abbrev-ref', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', path, 'status', '--porcelain', '--', 'src', 'migrations'], { encoding: 'utf8' }).trim() ? ' + uncommitted changes' : '';
    return `${dir || 'this checkout'} (${branch} ${commit}${dirty})`;
  } catch {
    return path;
  }
}

/** The naive reference server (bench/naive/server.ts) on database `url`. */
export function startNaiveServer(url: string) {
  return startProcess<{ port: number }>('bench/naive/server.ts', { BENCH_DB_URL: url }, 'naive-server');
}

/** Deletes the servers' log files unless BENCH_KEEP_LOGS is set. */
export function removeLogs(...files: string[]): void {
  if (process.env.BENCH_KEEP_LOGS) return;
  for (const f of files) rmSync(f, { force: true });
}
