import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** What a function's code belongs to: a package, a folder of src/, a Node module, or V8 itself. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `native ${functionName || '(anonymous)'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1] as string;
  const local = url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
  const dir = /^((src|dist|bench)(\/.*)?)\/[^/]+$/.exec(local);
  if (dir) return dir[1] as string;
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/').slice(0, 2).join('/');
  return url;
}

export interface ProfileSummary {
  seconds: number;
  /** Share of samples (0..1) by category and by function, self time. */
  categories: Array<[string, number]>;
  functions: Array<[string, number]>;
  /** Share of samples spent in a src/ function or below it (inclusive), by function. */
  inclusive: Array<[string, number]>;
  /** Self time of native functions (writev, writeString…) by the nearest package or src/ folder above them. */
  nativeCallers: Array<[string, number]>;
}

const isOwnCode = (category: string) => !category.startsWith('node:') && !category.startsWith('native') && !category.startsWith('(');

/** Self and inclusive time of a V8 .cpuprofile, grouped for a README table. */
export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const nativeCallers = new Map<string, number>();
  const root = `file://${process.cwd()}/`;
  const label = (f: ProfileNode['callFrame']) =>
    `${f.functionName || '(anonymous)'}${f.url ? ` ${f.url.replace(root, '').replace(/^.*\/node_modules\//, '')}${f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}` : ''}`;

  // Inclusive time counts each function once per stack, so recursion is not counted twice.
  function walk(node: ProfileNode, onStack: Set<string>, owner: string): number {
    let hits = node.hitCount ?? 0;
    const f = node.callFrame;
    const category = categoryOf(f);
    categories.set(category, (categories.get(category) ?? 0) + hits);
    if (category.startsWith('native') && hits > 0) nativeCallers.set(`${f.functionName} ← ${owner}`, (nativeCallers.get(`${f.functionName} ← ${owner}`) ?? 0) + hits);
    const nextOwner = isOwnCode(category) ? category : owner;
    functions.set(label(f), (functions.get(label(f)) ?? 0) + hits);
    const key = f.url.startsWith(`${root}src/`) || f.url.startsWith(`${root}dist/`) ? label(f) : null;
    const fresh = key !== null && !onStack.has(key);
    if (fresh) onStack.add(key);
    for (const id of node.children ?? []) hits += walk(byId.get(id) as ProfileNode, onStack, nextOwner);
    if (fresh) {
      onStack.delete(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + hits);
    }
    return hits;
  }
  const top0 = profile.nodes[0];
  if (top0) walk(top0, new Set(), '(none)');
  const topOf = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => [k, v / total] as [string, number]);
  return { seconds: (profile.endTime - profile.startTime) / 1e6, categories: topOf(categories), functions: topOf(functions), inclusive: topOf(inclusive), nativeCallers: topOf(nativeCallers) };
}

/** A profile's summary as README lines, under `title`. */
export function profileLines(file: string, title: string): string[] {
  const p = summarizeProfile(file);
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  return [
    `${title} (${p.seconds.toFixed(1)} s, ${file}):`,
    '',
    `- self time by category: ${p.categories.map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
    `- self time by function: ${p.functions.map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
    `- inclusive time of app functions: ${p.inclusive.map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
    `- native functions by the code that called them: ${p.nativeCallers.map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`,
  ];
}
