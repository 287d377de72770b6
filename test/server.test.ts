import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The README's start command, as a real process (`npm start`: build dist/, then `node
 * dist/server.js`): starts on PGlite, keeps data, stops on SIGTERM.
 */
const dataDir = mkdtempSync(join(tmpdir(), 'leadvibe-server-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
beforeAll(() => {
  execFileSync(process.execPath, ['scripts/build-server.mjs']);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function start(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/server.js'], {
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', JWT_SECRET: 'server-test-secret-0123456789' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill('SIGKILL');
  throw new Error('server did not start');
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('npm start (dist/server.js)', () => {
  it('serves on the embedded database, keeps data across restarts and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const first = await start(port);
    const signup = await fetch(`http://127.0.0.1:${port}/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ organization_name: 'Durable', first_name: 'D', last_name: 'U', email: 'durable@example.com', password: 'password123' }),
    });
    expect(signup.status).toBe(201);
    const exited = exitCode(first);
    first.kill('SIGTERM');
    expect(await exited).toBe(0);

    const second = await start(port);
    try {
      const login = await fetch(`http://127.0.0.1:${port}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'durable@example.com', password: 'password123' }),
      });
      expect(login.status).toBe(200);
    } finally {
      const done = exitCode(second);
      second.kill('SIGINT');
      expect(await done).toBe(0);
    }
  }, 120_000);
});
