import { describe, expect, it } from 'vitest';
import type { EventsRepository, ExportCursor } from '../../src/modules/events/events.repository.js';
import { csvField, exportCsvLines } from '../../src/modules/events/events.service.js';

type ExportRow = Awaited<ReturnType<EventsRepository['exportPage']>>[number];

const scope = { orgId: 'org', unitId: 'unit' };
const noFilter = { metadata: [], logic: 'and' as const };

function row(n: number): ExportRow {
  return {
    id: `ev_${n}`,
    lead_id: 'ld_1',
    event_type: 'page_view',
    occurred_at: new Date(Date.UTC(2025, 7, 15, 12, 0, n)),
    channel: 'web',
    received_at: new Date(Date.UTC(2025, 8, 1)),
    metadata: {},
    seq: 100 - n,
    cursor_at: `2025-08-15 12:00:${n}.000001+00`,
  };
}

/** A repository holding `total` rows that records every page it is asked for. */
function fakeRepo(total: number) {
  const calls: Array<ExportCursor | null> = [];
  const rows = Array.from({ length: total }, (_, i) => row(i));
  return {
    calls,
    repo: {
      async exportPage(_scope: unknown, _filter: unknown, after: ExportCursor | null, size: number) {
        calls.push(after);
        const start = after ? rows.findIndex((r) => r.seq === after.seq) + 1 : 0;
        return rows.slice(start, start + size);
      },
    },
  };
}

describe('exportCsvLines', () => {
  it('reads page by page, each page after the last row of the previous one, and stops on a short page', async () => {
    const { repo, calls } = fakeRepo(5);
    const chunks: string[] = [];
    for await (const chunk of exportCsvLines(repo, scope, noFilter, 2)) chunks.push(chunk);
    expect(calls).toEqual([null, { occurredAt: row(1).cursor_at, seq: row(1).seq }, { occurredAt: row(3).cursor_at, seq: row(3).seq }]);
    const lines = chunks.join('').trim().split('\r\n');
    expect(lines[0]).toBe('id,lead_id,event_type,timestamp,channel,received_at,metadata');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['ev_0', 'ev_1', 'ev_2', 'ev_3', 'ev_4']);
  });

  it('queries lazily: nothing is read before the consumer asks for it', async () => {
    const { repo, calls } = fakeRepo(10);
    const lines = exportCsvLines(repo, scope, noFilter, 2);
    await lines.next();
    expect(calls).toHaveLength(0);
    await lines.next();
    expect(calls).toHaveLength(1);
    await lines.return(undefined);
    expect(calls).toHaveLength(1);
  });

  it('asks once more after an exactly full last page, and then ends', async () => {
    const { repo, calls } = fakeRepo(4);
    const chunks: string[] = [];
    for await (const chunk of exportCsvLines(repo, scope, noFilter, 2)) chunks.push(chunk);
    expect(calls).toHaveLength(3);
    expect(chunks).toHaveLength(3);
  });
});

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    ['', ''],
  ])('writes %j as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });
});
