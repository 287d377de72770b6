// Builds the dashboard (web/) into web/dist; run by `npm install` / `npm ci` (the prepare script)
// and by `npm run web:build`. Prints the first-load JavaScript size, gzipped (docs/dashboard.md).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const webDir = join(root, 'web');
const dist = join(webDir, 'dist');

function canBuild() {
  if (!existsSync(join(webDir, 'index.html'))) return 'web/ is not here';
  try {
    createRequire(join(root, 'package.json')).resolve('vite');
    return '';
  } catch {
    return 'vite is not installed (a production install without devDependencies)';
  }
}

/** JavaScript the index page loads before any interaction: its module scripts and their preloads. */
function firstLoadJs() {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const files = new Set([...html.matchAll(/(?:src|href)="\/app\/([^"]+\.js)"/g)].map((m) => m[1]));
  let raw = 0;
  let gzipped = 0;
  for (const file of files) {
    const bytes = readFileSync(join(dist, file));
    raw += bytes.length;
    gzipped += gzipSync(bytes, { level: 9 }).length;
  }
  return { files: [...files], raw, gzipped };
}

const reason = canBuild();
if (reason) {
  console.log(`dashboard: not built (${reason}); the server shows a notice at / until \`npm run web:build\``);
  process.exit(0);
}
const { build } = await import('vite');
await build({ root: webDir, configFile: join(webDir, 'vite.config.ts'), logLevel: 'warn' });
const js = firstLoadJs();
const kb = (n) => (n / 1024).toFixed(1);
const css = readdirSync(dist).filter((f) => f.endsWith('.css'));
console.log(`dashboard: built web/dist — first-load JS ${kb(js.gzipped)} KB gzipped (${kb(js.raw)} KB raw, ${js.files.length} file(s)); css: ${css.join(', ')}`);
if (js.gzipped > 150 * 1024) {
  console.error('dashboard: first-load JS is over the 150 KB gzipped budget');
  process.exit(1);
}
