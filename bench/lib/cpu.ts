import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** utime + stime of a process in clock ticks, or null when it is gone. */
function ticksOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return null;
  }
}

function titleOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

export interface CpuGroups {
  /** Named processes (bench servers) by pid. */
  processes: Record<string, number>;
  /** Named databases: their PostgreSQL backends (process title names the database). */
  databases: Record<string, string>;
}

export type CpuReport = Record<string, number> & { seconds: number; machineBusyCores: number };

/** A process by pid and start time, so that a pid the kernel hands out again is a new process. */
function processKey(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return null;
  }
}

/**
 * CPU used during a window, in cores (CPU seconds per second), per group: each named process,
 * the PostgreSQL backends of each named database, PostgreSQL's shared processes (WAL writer,
 * checkpointer, background writer: `pg shared`) and every other database's backends (`pg other`,
 * the other people on the machine). Samples every 500 ms so that backends that exit are counted.
 */
export function createCpuMeter(groups: CpuGroups) {
  const tracked = new Map<string, { pid: number; group: string; ticks: number; alive: boolean }>();
  const named = new Map(Object.entries(groups.processes).map(([name, pid]) => [pid, name]));

  function classify(pid: number): string | null {
    const name = named.get(pid);
    if (name) return name;
    const title = titleOf(pid);
    if (!title || !title.startsWith('postgres:')) return null;
    const tokens = title.split(' ');
    for (const [db, dbName] of Object.entries(groups.databases)) if (tokens.includes(dbName)) return `pg ${db}`;
    // "postgres: 15/main: <user> <db> <host> <state>" is a backend; the rest are shared processes.
    return /\d+\.\d+\.\d+\.\d+\(\d+\)|\[local\]/.test(title) || title.includes('autovacuum worker') ? 'pg other' : 'pg shared';
  }

  function discover(): void {
    for (const entry of readdirSync('/proc')) {
      const pid = Number(entry);
      if (!Number.isInteger(pid)) continue;
      const key = processKey(pid);
      if (!key || tracked.has(key)) continue;
      const group = classify(pid);
      // Processes of no interest are remembered too, so they are classified once.
      tracked.set(key, { pid, group: group ?? '', ticks: 0, alive: group !== null });
    }
  }

  function sample(): void {
    for (const [key, p] of tracked) {
      if (!p.alive) continue;
      const t = processKey(p.pid) === key ? ticksOf(p.pid) : null;
      if (t === null) p.alive = false;
      else p.ticks = t;
    }
  }

  discover();
  sample();
  let sweeps = 0;
  const timer = setInterval(() => {
    if (++sweeps % 2 === 0) discover();
    sample();
  }, 500);
  timer.unref();

  return {
    /** Starts a window; the returned function ends it and answers the cores used per group. */
    start(): () => CpuReport {
      discover();
      sample();
      const first = new Map([...tracked].map(([key, p]) => [key, p.ticks]));
      const machine0 = machineTicks();
      const t0 = performance.now();
      return () => {
        discover();
        sample();
        const seconds = (performance.now() - t0) / 1000;
        const used: Record<string, number> = {};
        // A process first seen during the window started in it: all its CPU counts.
        for (const [key, p] of tracked) if (p.group) used[p.group] = (used[p.group] ?? 0) + p.ticks - (first.get(key) ?? 0);
        const machine1 = machineTicks();
        const cores = Object.fromEntries(Object.entries(used).map(([g, t]) => [g, t / TICKS_PER_SECOND / seconds]));
        const machineBusyCores = ((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * coreCount();
        return { ...cores, seconds, machineBusyCores } as CpuReport;
      };
    },
    stop: () => clearInterval(timer),
  };
}

function coreCount(): number {
  return readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d+ /.test(l)).length;
}
