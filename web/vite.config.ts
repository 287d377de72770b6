import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The server serves index.html at `/` and every other file at /app/<file> (src/modules/system/dashboard.ts):
// a flat output (assetsDir '') keeps each asset one path segment.
export default defineConfig({
  base: '/app/',
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true, assetsDir: '', sourcemap: false, reportCompressedSize: true },
  server: {
    // `npm run web:dev`: the API runs on :3000 (npm start); the dev server proxies every API path to it.
    proxy: Object.fromEntries(
      ['/auth', '/org-units', '/org', '/admin', '/stream', '/leads', '/score-history', '/rules', '/rulesets', '/levels',
        '/decays', '/settings', '/segments', '/events', '/triggers', '/deliveries', '/analytics', '/deals', '/api'].map(
        (p) => [p, { target: 'http://127.0.0.1:3000', changeOrigin: false }],
      ),
    ),
  },
});
