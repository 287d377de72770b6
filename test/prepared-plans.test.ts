import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedStatement, preparingPool } from '../src/db/prepared-pool.js';

/**
 * A prepared statement's plan is made from the tables' sizes when it is made; the pool discards a
 * connection's plans once they are older than their lifetime, so a plan made while a table was
 * empty does not outlive its growth (src/db/prepared-pool.ts). PostgreSQL only: PGlite has no pool.
 */
const url = process.env.TEST_DATABASE_URL;
const LIFETIME_MS = 1000;
const PROBE = `${preparedStatement('plan_probe')} select count(*)::int as n from plan_probe where grp = $1`;

describe.skipIf(!url)('prepared statements are planned again once their plans are older than their lifetime', () => {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  let client: Awaited<ReturnType<ReturnType<typeof preparingPool>['connect']>>;

  /** The row estimate of the probe's scan in the plan its connection holds now. */
  async function estimatedRows(): Promise<number> {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>('explain execute plan_probe(1)', []);
    const scan = rows.map((r) => r['QUERY PLAN']).find((line) => line.includes('Scan on plan_probe'));
    return Number(/rows=(\d+)/.exec(scan ?? '')?.[1]);
  }

  beforeAll(async () => {
    client = await preparingPool(pool, LIFETIME_MS).connect();
    await client.query('create temp table plan_probe (id int primary key, grp int)', []);
    // Analyzed empty, as autovacuum leaves a table created empty: the planner believes it is empty.
    await client.query('analyze plan_probe', []);
    await client.query("set plan_cache_mode = 'force_generic_plan'", []);
  });
  afterAll(async () => {
    client.release();
    await pool.end();
  });

  it('keeps the plan it made on the empty table until the lifetime passes, then plans the table as it is', async () => {
    expect((await client.query<{ n: number }>(PROBE, [1])).rows[0]?.n).toBe(0);
    const planned = await estimatedRows();
    await client.query('insert into plan_probe select g, g % 10 from generate_series(1, 20000) g', []);
    // Within the lifetime the plan made on the empty table is still the one used.
    expect((await client.query<{ n: number }>(PROBE, [1])).rows[0]?.n).toBe(2000);
    expect(await estimatedRows()).toBe(planned);
    await new Promise((r) => setTimeout(r, LIFETIME_MS + 50));
    expect((await client.query<{ n: number }>(PROBE, [1])).rows[0]?.n).toBe(2000);
    expect(planned).toBeLessThan(10);
    expect(await estimatedRows()).toBeGreaterThan(20);
  });
});
