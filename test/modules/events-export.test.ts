import { beforeAll, describe, expect, it } from 'vitest';
import { createEventsRepository, type ExportCursor } from '../../src/modules/events/events.repository.js';
import { csvField, exportCsvLines, neutralizeFormula } from '../../src/modules/events/events.service.js';
import { setupTestApp } from '../helpers/app.js';
import { insertEvent, insertLead } from '../helpers/events-factory.js';
import { signup, type Session } from '../helpers/factories.js';

const ctx = setupTestApp({ SCORING_WORKER: 'false' });
const noFilter = { metadata: [], logic: 'and' as const };

/** The real repository on this file's database, recording the cursor of every page it is asked for. */
function recordingRepo() {
  const real = createEventsRepository(ctx.database.db);
  const calls: Array<ExportCursor | null> = [];
  const repo: Pick<typeof real, 'exportPage'> = {
    exportPage(scope, filter, after, size) {
      calls.push(after);
      return real.exportPage(scope, filter, after, size);
    },
  };
  return { repo, calls };
}

/** An OU with `n` events one second apart; returns the ids newest first (the export's order). */
async function ouWithEvents(n: number): Promise<{ s: Session; ids: string[] }> {
  const s = await signup(ctx.app);
  const lead = await insertLead(ctx.database.db, s);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(await insertEvent(ctx.database.db, s, { leadId: lead, occurredAt: new Date(Date.UTC(2025, 7, 15, 12, 0, i)) }));
  }
  return { s, ids: ids.reverse() };
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const chunks: string[] = [];
  for await (const chunk of lines) chunks.push(chunk);
  return chunks;
}

describe('exportCsvLines over the database', () => {
  let five: { s: Session; ids: string[] };
  let four: { s: Session; ids: string[] };
  beforeAll(async () => {
    five = await ouWithEvents(5);
    four = await ouWithEvents(4);
  });

  it('reads page by page, each page after the last row of the previous one, and stops on a short page', async () => {
    const { repo, calls } = recordingRepo();
    const chunks = await collect(exportCsvLines(repo, five.s, noFilter, 2));
    expect(calls).toHaveLength(3);
    expect(calls[0]).toBeNull();
    expect(calls.slice(1).every((c) => c !== null)).toBe(true);
    const lines = chunks.join('').trim().split('\r\n');
    expect(lines[0]).toBe('id,lead_id,event_type,timestamp,channel,received_at,metadata');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(five.ids);
  });

  it('queries lazily: nothing is read before the consumer asks for it', async () => {
    const { repo, calls } = recordingRepo();
    const lines = exportCsvLines(repo, five.s, noFilter, 2);
    await lines.next();
    expect(calls).toHaveLength(0);
    await lines.next();
    expect(calls).toHaveLength(1);
    await lines.return(undefined);
    expect(calls).toHaveLength(1);
  });

  it('asks once more after an exactly full last page, and then ends', async () => {
    const { repo, calls } = recordingRepo();
    const chunks = await collect(exportCsvLines(repo, four.s, noFilter, 2));
    expect(calls).toHaveLength(3);
    expect(chunks.join('').trim().split('\r\n').slice(1).map((l) => l.split(',')[0])).toEqual(four.ids);
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

describe('neutralizeFormula (OWASP CSV injection)', () => {
  it.each([
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', "'\rcmd"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
    ['{"a":"=1"}', '{"a":"=1"}'],
    ['', ''],
  ])('writes %j as %j', (value, expected) => {
    expect(neutralizeFormula(value)).toBe(expected);
  });
});
