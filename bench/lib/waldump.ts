import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type pg from 'pg';

export interface WalRelation {
  records: number;
  bytes: number;
  /** Bytes of full-page images (first change of a page after a checkpoint). */
  fpiBytes: number;
  /** Records by kind, e.g. "Heap INSERT", "Btree INSERT_LEAF". */
  kinds: Map<string, number>;
}

export interface WalBreakdown {
  /** Every WAL byte of the window, all databases (the others' activity included). */
  totalBytes: number;
  /** The bench database's records, by relation; commit and other records of its transactions under "(commit)", "(no relation)". */
  relations: Map<string, WalRelation>;
  mineBytes: number;
}

/** Where the server's binaries and WAL are (this needs the bench to run on the database's machine). */
export async function walLocation(client: pg.Client): Promise<{ waldump: string; walDir: string }> {
  const { rows } = await client.query<{ bindir: string; datadir: string }>(
    `/* bench */ select (select setting from pg_config where name = 'BINDIR') as bindir, current_setting('data_directory') as datadir`,
  );
  const row = rows[0] as { bindir: string; datadir: string };
  return { waldump: `${row.bindir}/pg_waldump`, walDir: `${row.datadir}/pg_wal` };
}

const RECORD = /^rmgr: (\S+)\s+len \(rec\/tot\):\s+(\d+)\/\s*(\d+), tx:\s+(\d+), lsn: \S+, prev \S+, desc: (\S+)(.*)$/;
const BLOCK = /blkref #\d+: rel \d+\/(\d+)\/(\d+)/;

/**
 * Reads the WAL between two LSNs with pg_waldump and attributes each record of database `dbOid`
 * to its relation (first block reference, by relfilenode); records without a block (commits,
 * multixacts) belong to the database when their transaction wrote there.
 */
export async function walBreakdown(
  where: { waldump: string; walDir: string },
  startLsn: string,
  endLsn: string,
  dbOid: number,
  relationOf: Map<number, string>,
): Promise<WalBreakdown> {
  const child = spawn(where.waldump, ['-p', where.walDir, '-s', startLsn, '-e', endLsn], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result: WalBreakdown = { totalBytes: 0, relations: new Map(), mineBytes: 0 };
  const myTransactions = new Set<string>();
  const add = (relation: string, kind: string, bytes: number, fpi: number) => {
    let r = result.relations.get(relation);
    if (!r) result.relations.set(relation, (r = { records: 0, bytes: 0, fpiBytes: 0, kinds: new Map() }));
    r.records++;
    r.bytes += bytes;
    r.fpiBytes += fpi;
    r.kinds.set(kind, (r.kinds.get(kind) ?? 0) + 1);
    result.mineBytes += bytes;
  };
  for await (const line of createInterface({ input: child.stdout })) {
    const m = RECORD.exec(line);
    if (!m) continue;
    const [, rmgr, rec, tot, tx, desc, rest] = m as unknown as [string, string, string, string, string, string, string];
    const bytes = Number(tot);
    result.totalBytes += bytes;
    const kind = `${rmgr} ${desc.replace(/[,;]$/, '')}`;
    const block = BLOCK.exec(rest);
    if (block && Number(block[1]) === dbOid) {
      if (tx !== '0') myTransactions.add(tx);
      add(relationOf.get(Number(block[2])) ?? `relfilenode ${block[2]}`, kind, bytes, bytes - Number(rec));
    } else if (!block && tx !== '0' && myTransactions.has(tx)) {
      add(rmgr === 'Transaction' ? '(commit records)' : '(no relation)', kind, bytes, 0);
    }
  }
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`pg_waldump exited with ${code}: ${stderr.slice(0, 500)}`);
  return result;
}

/** relfilenode → relation name of the connected database (tables, indexes, TOAST, catalogs). */
export async function relationsByFilenode(client: pg.Client): Promise<Map<number, string>> {
  const { rows } = await client.query<{ filenode: number; name: string }>(
    `/* bench */ select pg_relation_filenode(c.oid)::int as filenode,
            case when n.nspname = 'pg_toast' then coalesce((select 'TOAST of ' || t.relname from pg_class t where t.reltoastrelid = c.oid), c.relname)
                 when n.nspname = 'public' then c.relname else n.nspname || '.' || c.relname end as name
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where pg_relation_filenode(c.oid) is not null`,
  );
  return new Map(rows.map((r) => [r.filenode, r.name]));
}
