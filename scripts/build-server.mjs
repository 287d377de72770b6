// Transpiles the server (src/**/*.ts) into dist/ with esbuild, file for file (no bundle, no type
// check: `npm run typecheck` does that), so `npm start` runs plain JavaScript: no TypeScript loader
// thread in the process (about 50 MB less resident memory) and a faster start (docs/decisions.md).
// Takes about a second; `npm start` runs it every time, so dist/ never lags behind src/.
// Usage: node scripts/build-server.mjs [checkout directory]   (default: this checkout)
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Every .ts file below `dir`. */
function sources(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));
}

/**
 * src/x/y.ts → dist/x/y.js. dist/ sits at the same depth as src/, so paths the code resolves from
 * its own location (migrations/, web/dist, openapi.yaml) are the same compiled or not.
 */
export async function buildServer(checkout) {
  const src = join(checkout, 'src');
  const out = join(checkout, 'dist');
  rmSync(out, { recursive: true, force: true });
  await build({ entryPoints: sources(src), outdir: out, outbase: src, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' });
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildServer(resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..')));
}
