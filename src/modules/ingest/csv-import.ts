import { finished, type Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { AppError } from '../../http/errors.js';
import { parseEvent, type PreparedEvent } from './ingest.prepare.js';
import { IMPORT_ALIAS_KINDS, type RowOutcome } from './import-copy.js';
import type { Tenant } from '../../auth/tenant.js';

const ALIAS_COLUMNS = IMPORT_ALIAS_KINDS;
const MAX_REPORTED_ERRORS = 100;
/** A single CSV record larger than this is malformed (metadata is capped at 100 KB anyway). */
const MAX_RECORD_BYTES = 1024 * 1024;

export interface ImportResult {
  accepted: number;
  /** Accepted rows whose message_id was already stored (nothing stored for them). */
  duplicates: number;
  rejected: number;
  errors: Array<{ row: number; error: string }>;
}

export interface ImportOptions {
  tenant: Tenant;
  /** Rows written per write statement (each chunk commits on its own). */
  chunkSize: number;
  /** Chunks handed to `write` and not yet settled, while the next one is parsed. */
  concurrency: number;
  /** Writes one chunk; chunks are handed over in file order. */
  write(items: PreparedEvent[]): Promise<RowOutcome[]>;
}

/** One line for a row error: the field paths of a validation error, else its message. */
export function describeError(error: AppError): string {
  if (!error.details?.length) return error.message;
  return error.details.map((d) => `${d.field.replace(/^body\./, '')}: ${d.message}`).join('; ');
}

interface Columns {
  width: number;
  eventType: number;
  leadId: number;
  timestamp: number;
  metadata: number;
  messageId: number;
  aliases: Array<{ kind: (typeof ALIAS_COLUMNS)[number]; index: number }>;
}

function readHeader(header: string[]): Columns {
  const names = header.map((h) => h.trim().toLowerCase());
  const eventType = names.indexOf('event_type');
  if (eventType < 0) throw new AppError('bad_request', 'the CSV header has no event_type column');
  return {
    width: names.length,
    eventType,
    leadId: names.indexOf('lead_id'),
    timestamp: names.indexOf('timestamp'),
    metadata: names.indexOf('metadata'),
    messageId: names.indexOf('message_id'),
    aliases: ALIAS_COLUMNS.map((kind) => ({ kind, index: names.indexOf(kind) })).filter((a) => a.index >= 0),
  };
}

/** A CSV record as the POST /events body it stands for; empty cells are absent values. */
function toInput(record: string[], c: Columns): Record<string, unknown> {
  const cell = (i: number) => (i >= 0 && record[i] !== '' ? record[i] : undefined);
  const input: Record<string, unknown> = { event_type: record[c.eventType] };
  const leadId = cell(c.leadId);
  if (leadId !== undefined) input.lead_id = leadId;
  const messageId = cell(c.messageId);
  if (messageId !== undefined) input.message_id = messageId;
  const timestamp = cell(c.timestamp);
  if (timestamp !== undefined) input.timestamp = timestamp.trim();
  const metadata = cell(c.metadata);
  if (metadata !== undefined) {
    try {
      input.metadata = JSON.parse(metadata);
    } catch {
      throw new AppError('validation_failed', 'metadata is not valid JSON');
    }
  }
  const aliases = [];
  for (const a of c.aliases) {
    const value = cell(a.index);
    if (value !== undefined) aliases.push({ alias_kind: a.kind, raw_value: value });
  }
  if (aliases.length) input.aliases = aliases;
  return input;
}

/** The upload stream failed before its end: a multipart body without its closing boundary, or a client gone. */
class UploadCutShort extends Error {}

/**
 * Streams a CSV upload through csv-parse into set-based chunk writes. One chunk is written while
 * the next is parsed; the parser is paused by backpressure otherwise, so memory stays flat
 * whatever the file size. Bad rows are reported (line number + reason) and skipped.
 */
export async function importCsv(source: Readable, options: ImportOptions): Promise<ImportResult> {
  const result: ImportResult = { accepted: 0, duplicates: 0, rejected: 0, errors: [] };
  // Write errors of a chunk arrive after parse errors of the next one: keep the lowest rows.
  const byRow = (a: { row: number }, b: { row: number }) => a.row - b.row;
  const reject = (row: number, error: string) => {
    result.rejected++;
    result.errors.push({ row, error });
    if (result.errors.length > 2 * MAX_REPORTED_ERRORS) result.errors = result.errors.sort(byRow).slice(0, MAX_REPORTED_ERRORS);
  };
  const parser = parse({
    bom: true,
    info: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_BYTES,
    on_skip: (err: CsvError | undefined) => {
      reject(Number(err?.lines ?? 0), `malformed CSV: ${err?.message ?? 'unreadable record'}`);
      return undefined;
    },
  });

  let columns: Columns | null = null;
  let chunk: PreparedEvent[] = [];
  let rows: number[] = [];
  const writing: Array<Promise<void>> = [];
  let writeError: unknown = null;

  const write = (items: PreparedEvent[], lines: number[]) =>
    options.write(items).then((outcomes) => {
      outcomes.forEach((o, i) => {
        if (o.ok) {
          result.accepted++;
          if (o.duplicate) result.duplicates++;
        } else reject(lines[i] as number, describeError(o.error));
      });
    });

  const startWrite = async () => {
    const items = chunk;
    const lines = rows;
    chunk = [];
    rows = [];
    if (writing.length >= options.concurrency) await writing.shift();
    writing.push(
      write(items, lines).catch((err: unknown) => {
        writeError = err;
      }),
    );
  };

  // finished(), not an 'error' listener: a multipart part cut short (no closing boundary) has failed
  // before it is handed over, and piping a failed stream would wait forever.
  finished(source, (err) => {
    if (err) parser.destroy(new UploadCutShort(err.message));
  });
  source.pipe(parser);
  const receivedAt = new Date();
  try {
    for await (const entry of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (writeError) throw writeError;
      const { record, info } = entry;
      if (!columns) {
        columns = readHeader(record);
        continue;
      }
      if (record.length !== columns.width) {
        reject(info.lines, `the row has ${record.length} fields, the header has ${columns.width}`);
        continue;
      }
      try {
        chunk.push(parseEvent(toInput(record, columns), options.tenant, receivedAt));
        rows.push(info.lines);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        reject(info.lines, describeError(err));
      }
      if (chunk.length >= options.chunkSize) await startWrite();
    }
  } catch (err) {
    if (!(err instanceof UploadCutShort)) throw err;
    // Chunks already handed to the writer commit on their own: say how many rows did.
    await Promise.all(writing);
    throw new AppError('bad_request', `the upload ended before its closing boundary (${err.message}); ${result.accepted} rows before that were imported`);
  }
  if (!columns) throw new AppError('bad_request', 'the CSV file is empty: a header row with event_type is required');
  if (chunk.length) await startWrite();
  await Promise.all(writing);
  if (writeError) throw writeError;
  result.errors = result.errors.sort(byRow).slice(0, MAX_REPORTED_ERRORS);
  return result;
}
