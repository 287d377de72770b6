import { existsSync, openSync, readSync, statSync, closeSync } from 'node:fs';
import type pg from 'pg';

/**
 * PostgreSQL's statement log of one database, read from its log file between two offsets.
 * Logging is switched on for the bench database only (ALTER DATABASE … SET), so nothing changes
 * for the other databases of the server, and it goes away with the database.
 */
export async function logFileOf(client: pg.Client): Promise<string | null> {
  const { rows } = await client.query<{ f: string | null }>('/* bench */ select pg_current_logfile() as f');
  const candidates = [process.env.BENCH_PG_LOG, rows[0]?.f ? `${(await dataDir(client))}/${rows[0].f}` : null, '/var/log/postgresql/postgresql-15-main.log'];
  return candidates.find((f): f is string => Boolean(f && existsSync(f))) ?? null;
}

async function dataDir(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ d: string }>(`/* bench */ select current_setting('data_directory') as d`);
  return rows[0]?.d ?? '';
}

export function fileSize(path: string): number {
  return statSync(path).size;
}

function readFrom(path: string, offset: number): string {
  const size = statSync(path).size;
  const buffer = Buffer.alloc(Math.max(0, size - offset));
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer.toString('utf8');
}

export interface LogEntry {
  pid: string;
  message: string;
}

const PREFIX = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \S+ \[(\d+)\] \S*@(\S*) [A-Z]+:  /;

/** The log entries (continuation lines joined) of database `db` written after `offset`. */
export function entriesOf(path: string, offset: number, db: string): LogEntry[] {
  const entries: LogEntry[] = [];
  let current: (LogEntry & { db: string }) | null = null;
  for (const line of readFrom(path, offset).split('\n')) {
    const m = PREFIX.exec(line);
    if (m) {
      if (current?.db === db) entries.push(current);
      current = { pid: m[1] as string, db: m[2] as string, message: line.slice(m[0].length) };
    } else if (current && line.startsWith('\t')) {
      current.message += `\n${line.slice(1)}`;
    }
  }
  if (current?.db === db) entries.push(current);
  return entries;
}

export interface StatementStats {
  calls: number;
  ms: number;
}

const DURATION = /^duration: ([\d.]+) ms {2}(?:(parse|bind|execute) ([^:]+): |statement: )([\s\S]*)$/;

/**
 * Sums the logged durations per statement class (parse + bind + execute of a prepared statement;
 * a call is one execute or one simple-protocol statement). `classify` names a statement from its
 * prepared name (null when unnamed) and text; null leaves it out (the bench's own queries).
 */
export function statementStats(entries: LogEntry[], classify: (name: string | null, text: string) => string | null): Map<string, StatementStats> {
  const stats = new Map<string, StatementStats>();
  for (const e of entries) {
    const m = DURATION.exec(e.message);
    if (!m) continue;
    const [, ms, phase, name, text] = m as unknown as [string, string, string | undefined, string | undefined, string];
    const cls = classify(name && name !== '<unnamed>' ? name : null, text);
    if (cls === null) continue;
    let s = stats.get(cls);
    if (!s) stats.set(cls, (s = { calls: 0, ms: 0 }));
    s.ms += Number(ms);
    if (!phase || phase === 'execute') s.calls++;
  }
  return stats;
}

/** auto_explain plans (JSON format) in the entries, with the statement text they belong to. */
export function plansOf(entries: LogEntry[]): Array<{ ms: number; plan: ExplainPlan; text: string }> {
  const plans: Array<{ ms: number; plan: ExplainPlan; text: string }> = [];
  for (const e of entries) {
    const m = /^duration: ([\d.]+) ms {2}plan:\n([\s\S]*)$/.exec(e.message);
    if (!m) continue;
    try {
      const parsed = JSON.parse(m[2] as string) as { 'Query Text': string; Plan: ExplainPlan; Triggers?: ExplainTrigger[] };
      plans.push({ ms: Number(m[1]), plan: { ...parsed.Plan, Triggers: parsed.Triggers }, text: parsed['Query Text'] });
    } catch {
      // A plan cut by the log is skipped.
    }
  }
  return plans;
}

export interface ExplainTrigger {
  'Trigger Name': string;
  Relation?: string;
  Time: number;
  Calls: number;
}

export interface ExplainPlan {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Subplan Name'?: string;
  Operation?: string;
  'Actual Total Time'?: number;
  'Actual Loops'?: number;
  'WAL Bytes'?: number;
  Plans?: ExplainPlan[];
  Triggers?: ExplainTrigger[];
}
