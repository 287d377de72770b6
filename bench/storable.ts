/**
 * npx tsx bench/storable.ts — the cost of the storable check (src/http/storable.ts) on a typical
 * POST /events body, next to JSON.stringify of its metadata (which ingestion does once anyway).
 * Prints medians of 10 rounds; no database.
 */
import { findUnstorable } from '../src/http/storable.js';

const text = JSON.stringify({
  aliases: [
    { alias_kind: 'email', raw_value: 'lead-1234@bench.io' },
    { alias_kind: 'cookie', raw_value: 'c-8f7a6b5c4d3e' },
  ],
  event_type: 'page_view',
  timestamp: '2025-08-15T12:00:00Z',
  metadata: {
    path: '/pricing',
    title: 'Pricing — Leadvibe',
    referrer: 'https://www.google.com/search?q=lead+scoring',
    utm_source: 'google',
    utm_medium: 'cpc',
    utm_campaign: 'fall2025',
    screen: { w: 1920, h: 1080 },
    tags: ['a', 'b', 'c'],
  },
});
const bodies = Array.from({ length: 1000 }, () => JSON.parse(text) as { metadata: unknown });
const big = { event_type: 'x', metadata: { blob: 'y'.repeat(90_000) } };

function nsPer(runs: number, perRun: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) fn();
  return Number(process.hrtime.bigint() - start) / (runs * perRun);
}

const rounds: Record<'walk' | 'stringify' | 'parse' | 'big', number[]> = { walk: [], stringify: [], parse: [], big: [] };
for (let round = 0; round < 10; round++) {
  rounds.walk.push(nsPer(300, bodies.length, () => bodies.forEach((b) => findUnstorable(b, 'body'))));
  rounds.stringify.push(nsPer(300, bodies.length, () => bodies.forEach((b) => JSON.stringify(b.metadata))));
  rounds.parse.push(nsPer(300_000, 1, () => JSON.parse(text)));
  rounds.big.push(nsPer(1000, 1, () => findUnstorable(big, 'body')));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]?.toFixed(0);
process.stdout.write(
  `storable walk of an event body: ${median(rounds.walk)} ns; JSON.stringify(metadata): ${median(rounds.stringify)} ns; ` +
    `JSON.parse(body): ${median(rounds.parse)} ns; walk of a 90 KB metadata string: ${median(rounds.big)} ns\n`,
);
