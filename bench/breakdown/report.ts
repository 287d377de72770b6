import type { Result } from 'autocannon';
import type { CpuReport } from '../lib/cpu.js';
import { profileLines } from '../lib/cpuprofile.js';
import type { ExplainPlan, StatementStats } from '../lib/pglog.js';
import type { RelationStats } from '../lib/pgstats.js';
import { fixed, fmt } from '../lib/stats.js';
import type { WalBreakdown } from '../lib/waldump.js';

const PREPARED: Record<string, string> = {
  ingest_lookup: 'ingest lookup (aliases, leads, event-type settings)',
  ingest_write: 'ingest write (new leads + aliases + events + NOTIFY lv_ingested)',
  audit_insert: 'audit insert (buffered, one row per request)',
  live_notify: 'live NOTIFY (event_ingested, score_update)',
  score_claim: 'worker claim (SKIP LOCKED + advisory locks)',
  score_bursts: 'worker bursts probe (inorganic filter)',
  score_write: 'worker write (event_scores, lead_scores, state, event_outcomes)',
};

const UNNAMED: Array<[RegExp, string]> = [
  [/^\s*(begin|commit|rollback)\b/i, 'worker BEGIN / COMMIT'],
  [/set local synchronous_commit/, 'worker SET LOCAL synchronous_commit'],
  [/from "lead_scores"/, 'worker lead_scores read'],
  [/from "lead_scoring_state"/, 'worker lead_scoring_state read'],
  [/from "(org_units" as "u"|rulesets"|scoring_rules"|inorganic_filters"|levels"|surge_policies"|event_type_settings")/, 'worker unit configuration (7 reads)'],
  [/reltuples/, 'worker statistics check'],
  [/from "?events"? where "?scored_at"? is null/, 'queue_depth gauge'],
  [/decay/i, 'decay scheduler'],
];

/** Names a logged statement for the breakdown; null for the bench's own queries. */
export function classifyStatement(name: string | null, text: string): string | null {
  if (text.includes('/* bench */')) return null;
  if (name) return PREPARED[name] ?? `prepared ${name}`;
  for (const [pattern, label] of UNNAMED) if (pattern.test(text)) return label;
  return `other: ${text.replace(/\s+/g, ' ').slice(0, 70)}`;
}

export interface BreakdownInput {
  header: string;
  events: number;
  result: Result;
  drainSeconds: number;
  loadCpu: CpuReport;
  drainCpu: CpuReport;
  statements: Map<string, StatementStats>;
  plans: Array<{ ms: number; plan: ExplainPlan; text: string }>;
  /** Foreign-key trigger name → "constraint → referenced table". */
  triggers: Map<string, string>;
  wal: WalBreakdown | null;
  walTotalBytes: number;
  before: { stats: Map<string, RelationStats>; rows: Record<string, number> };
  after: { stats: Map<string, RelationStats>; rows: Record<string, number> };
  notifies: Map<string, { count: number; bytes: number }>;
  profile: string | null;
  logFile: string | null;
  loadAfter: string;
}

const us = (ms: number, events: number) => fixed((ms * 1000) / events, 1);

function statementTable(input: BreakdownInput, events: number): string[] {
  const rows = [...input.statements].sort((a, b) => b[1].ms - a[1].ms);
  const totalMs = rows.reduce((a, [, s]) => a + s.ms, 0);
  const pgCpuMs = ((input.loadCpu['pg app'] ?? 0) * input.loadCpu.seconds + (input.drainCpu['pg app'] ?? 0) * input.drainCpu.seconds) * 1000;
  return [
    '| statement | calls | calls per 1,000 events | total ms | mean ms per call | µs per event | share of logged time |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(([label, s]) =>
      `| ${label} | ${fmt(s.calls)} | ${fixed((1000 * s.calls) / events, 1)} | ${fmt(s.ms)} | ${fixed(s.ms / Math.max(1, s.calls), 2)} | ${us(s.ms, events)} | ${fixed((100 * s.ms) / totalMs, 1)} % |`,
    ),
    `| **all logged statements** | ${fmt(rows.reduce((a, [, s]) => a + s.calls, 0))} | | ${fmt(totalMs)} | | **${us(totalMs, events)}** | 100 % |`,
    '',
    `PostgreSQL CPU of the bench database's backends over load + drain: ${fmt(pgCpuMs)} ms = **${us(pgCpuMs, events)} µs per event** ` +
      '(logged statement time excludes commits — WAL flush and NOTIFY delivery happen at Sync, after `execute` — and waiting for locks counts in it).',
  ];
}

function walTable(input: BreakdownInput, events: number): string[] {
  const w = input.wal;
  const head = `WAL of the whole server in the window (pg_wal_lsn_diff, other databases included): ${fmt(input.walTotalBytes)} bytes = ${fmt(input.walTotalBytes / events)} per event`;
  if (!w) return [head, '(pg_waldump not available: no per-relation figures)'];
  const rows = [...w.relations].sort((a, b) => b[1].bytes - a[1].bytes);
  return [
    head,
    `WAL of the bench database (pg_waldump, attributed by relation): **${fmt(w.mineBytes / events)} bytes per event** (${fmt(w.mineBytes)} bytes; ${fixed((100 * rows.reduce((a, [, r]) => a + r.fpiBytes, 0)) / Math.max(1, w.mineBytes), 1)} % full-page images)`,
    '',
    '| relation | bytes per event | records per event | of it full-page images | main record kinds (per event) |',
    '|---|---:|---:|---:|---|',
    ...rows.slice(0, 25).map(([rel, r]) => {
      const kinds = [...r.kinds].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, n]) => `${k} ${fixed(n / events, 2)}`).join(', ');
      return `| ${rel} | ${fmt(r.bytes / events)} | ${fixed(r.records / events, 2)} | ${fixed((100 * r.fpiBytes) / Math.max(1, r.bytes), 0)} % | ${kinds} |`;
    }),
  ];
}

function tableRows(input: BreakdownInput, events: number): string[] {
  const lines = [
    '| table | rows inserted per event | rows updated per event | of them HOT | deleted per event | indexes | table growth, bytes per event | its indexes\' growth, bytes per event |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const tables = [...input.after.stats.values()].filter((s) => s.kind === 'table');
  const delta = (s: RelationStats, k: 'inserts' | 'updates' | 'hotUpdates' | 'deletes' | 'bytes') => s[k] - (input.before.stats.get(s.name)?.[k] ?? 0);
  for (const t of tables.sort((a, b) => delta(b, 'inserts') + delta(b, 'updates') - delta(a, 'inserts') - delta(a, 'updates'))) {
    const indexes = [...input.after.stats.values()].filter((s) => s.kind === 'index' && s.table === t.name);
    const writes = delta(t, 'inserts') + delta(t, 'updates') + delta(t, 'deletes');
    if (writes === 0) continue;
    const indexGrowth = indexes.reduce((a, i) => a + delta(i, 'bytes'), 0);
    const upd = delta(t, 'updates');
    lines.push(
      `| ${t.name} | ${fixed(delta(t, 'inserts') / events, 3)} | ${fixed(upd / events, 3)} | ${upd ? fixed((100 * delta(t, 'hotUpdates')) / upd, 0) : '—'} % | ${fixed(delta(t, 'deletes') / events, 3)} | ${indexes.length} (${indexes.map((i) => i.name).join(', ')}) | ${fmt(delta(t, 'bytes') / events)} | ${fmt(indexGrowth / events)} |`,
    );
  }
  return lines;
}

function notifyLines(input: BreakdownInput, events: number): string[] {
  const rows = [...input.notifies].sort((a, b) => b[1].count - a[1].count);
  const auditRows = (input.after.rows.audit_logs ?? 0) - (input.before.rows.audit_logs ?? 0);
  return [
    `audit rows: ${fmt(auditRows)} = **${fixed(auditRows / events, 3)} per event**; event_scores rows per event: ${fixed(((input.after.rows.event_scores ?? 0) - (input.before.rows.event_scores ?? 0)) / events, 3)}; leads created per event: ${fixed(((input.after.rows.leads ?? 0) - (input.before.rows.leads ?? 0)) / events, 3)}`,
    `NOTIFY (as received by a listener): ${rows.map(([k, n]) => `${k} ${fixed(n.count / events, 3)} per event (${fmt(n.bytes / Math.max(1, n.count))} bytes each)`).join('; ')}`,
  ];
}

function planLines(input: BreakdownInput): string[] {
  if (input.plans.length === 0) return [];
  const byStatement = new Map<string, { calls: number; ms: number; nodes: Map<string, { ms: number; wal: number }> }>();
  for (const { ms, plan, text } of input.plans) {
    const label = classifyStatement(/^\/\* prepared: (\w+) \*\//.exec(text)?.[1] ?? null, text);
    if (!label) continue;
    const s = byStatement.get(label) ?? { calls: 0, ms: 0, nodes: new Map() };
    byStatement.set(label, s);
    s.calls++;
    s.ms += ms;
    // Self time and WAL of each node: its own minus its children's (times are per loop).
    const total = (n: ExplainPlan) => (n['Actual Total Time'] ?? 0) * (n['Actual Loops'] ?? 1);
    const visit = (n: ExplainPlan) => {
      const children = n.Plans ?? [];
      const self = total(n) - children.reduce((a, c) => a + total(c), 0);
      const wal = (n['WAL Bytes'] ?? 0) - children.reduce((a, c) => a + (c['WAL Bytes'] ?? 0), 0);
      const target = n['Relation Name'] ?? n['Index Name'] ?? '';
      const key = `${n['Node Type']}${n.Operation && n['Node Type'] === 'ModifyTable' ? ` ${n.Operation}` : ''}${target ? ` on ${target}` : ''}${n['Index Name'] && n['Relation Name'] ? ` using ${n['Index Name']}` : ''}${n['Subplan Name'] ? ` (${n['Subplan Name']})` : ''}`;
      // A CTE Scan's time is its CTE's, already counted at the CTE's own nodes.
      if (n['Node Type'] !== 'CTE Scan') {
        const v = s.nodes.get(key) ?? { ms: 0, wal: 0 };
        s.nodes.set(key, { ms: v.ms + Math.max(0, self), wal: v.wal + Math.max(0, wal) });
      }
      for (const child of children) visit(child);
    };
    visit(plan);
    for (const t of plan.Triggers ?? []) {
      const key = `foreign-key check ${input.triggers.get(t['Trigger Name']) ?? t['Trigger Name']}${t.Relation ? ` (on ${t.Relation})` : ''}`;
      const v = s.nodes.get(key) ?? { ms: 0, wal: 0 };
      s.nodes.set(key, { ms: v.ms + t.Time, wal: v.wal });
    }
  }
  const lines = ['auto_explain (sampled plans, timing on): self time and WAL of the plan nodes, per call', ''];
  for (const [label, s] of byStatement) {
    lines.push(`- ${label}: ${s.calls} plans, mean ${fixed(s.ms / s.calls, 2)} ms`);
    for (const [node, v] of [...s.nodes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) {
      lines.push(`  - ${node}: ${fixed(v.ms / s.calls, 2)} ms (${fixed((100 * v.ms) / s.ms, 0)} %), WAL ${fmt(v.wal / s.calls)} bytes`);
    }
  }
  return lines;
}

export function printBreakdown(input: BreakdownInput): void {
  const events = (input.after.rows.events ?? 0) - (input.before.rows.events ?? 0);
  const cpu = (r: CpuReport) => `server ${fixed(r.server ?? 0)} cores, PostgreSQL backends of the bench database ${fixed(r['pg app'] ?? 0)}, PG shared processes ${fixed(r['pg shared'] ?? 0)}, other databases ${fixed(r['pg other'] ?? 0)}, machine busy ${fixed(r.machineBusyCores)}`;
  const out = [
    '',
    input.header,
    `window: ${fmt(events)} events stored (${fmt(input.result['2xx'])} 2xx, ${fmt(input.result.requests.average)} req/s, p99 ${input.result.latency.p99} ms) in ${fixed(input.loadCpu.seconds, 1)} s, then the worker drained in ${fixed(input.drainSeconds, 1)} s; load average after: ${input.loadAfter}`,
    `CPU during the load: ${cpu(input.loadCpu)}`,
    input.drainSeconds >= 1 ? `CPU during the drain: ${cpu(input.drainCpu)}` : 'the worker kept up: nothing left to drain',
    `PostgreSQL log: ${input.logFile ?? 'not found'}`,
    '',
    ...statementTable(input, events),
    '',
    ...walTable(input, events),
    '',
    ...tableRows(input, events),
    '',
    ...notifyLines(input, events),
    '',
    ...planLines(input),
    '',
    ...(input.profile ? profileLines(input.profile, 'Server CPU profile') : []),
    '',
  ];
  process.stdout.write(out.join('\n'));
}
