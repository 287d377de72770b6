import multipart from '@fastify/multipart';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../auth/access.js';
import type { Config } from '../../config.js';
import { everyInterval, runWithApp } from '../../lifecycle/background.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../http/errors.js';
import type { Metrics } from '../../http/metrics.js';
import { errorResponses } from '../../http/responses.js';
import { MAX_JSON_DEPTH } from '../../http/storable.js';
import type { LiveHub } from '../../live/live-hub.js';
import { RESERVED_EVENT_TYPES } from '../events/system-events.js';
import { describeError, importCsv } from './csv-import.js';
import { createCopyImportWriter } from './import-copy.js';
import { parseEvent, prepareEvent, type PreparedEvent } from './ingest.prepare.js';
import {
  batchBodySchema,
  batchResponseSchema,
  eventInputSchema,
  importResponseSchema,
  ingestedSchema,
} from './ingest.schemas.js';
import { createIngestLimiter } from './ingest.limits.js';
import { createIngestService, type IngestService, type WrittenEvent } from './ingest.service.js';
import { tenantOf } from '../../auth/tenant.js';

const BATCH_BODY_LIMIT = 20 * 1024 * 1024;
const MESSAGE_PURGE_INTERVAL_MS = 60 * 60 * 1000;
const MESSAGE_ID_NOTE =
  'Idempotency: send a `message_id` (1–200 chars) with each event and resend it unchanged after a timeout or ' +
  'a lost answer. A message_id already stored in this OU within the last 7 days stores nothing and is answered ' +
  '202 with the first event\'s `event_id` and `duplicate: true`.';
const JSON_ROUTE_NOTE =
  `The body must be application/json (415 otherwise). Event types the server writes itself ` +
  `(${RESERVED_EVENT_TYPES.join(', ')}, any case) are refused with 400, as are strings holding NUL (\\u0000) or ` +
  `lone UTF-16 surrogates, numbers JSON cannot hold and nesting deeper than ${MAX_JSON_DEPTH} levels ` +
  `(details name the field).`;
/** Rows per chunk (one commit each): the batch writer on PGlite, the COPY writer on PostgreSQL. */
const IMPORT_CHUNK_ROWS = { batch: 1000, copy: 5000 };
/** Browsers and tools label CSV files in many ways; anything else is refused with 415. */
const CSV_TYPES = new Set(['text/csv', 'application/csv', 'text/x-csv', 'application/vnd.ms-excel', 'text/plain']);

function isCsvUpload(mimetype: string, filename: string): boolean {
  const type = mimetype.split(';')[0]?.trim().toLowerCase() ?? '';
  if (CSV_TYPES.has(type)) return true;
  return type === 'application/octet-stream' && filename.toLowerCase().endsWith('.csv');
}

/** Runs before body validation, so a JSON body is a 415 rather than a schema error. */
async function requireMultipart(request: FastifyRequest) {
  if (!request.isMultipart()) {
    throw new AppError('unsupported_media_type', 'upload the CSV as multipart/form-data with a `file` part');
  }
  // The multipart parser throws a bare Error (a 500) when it has no boundary to split the body on.
  if (!/;\s*boundary=/i.test(request.headers['content-type'] ?? '')) {
    throw new AppError('bad_request', 'the multipart/form-data content type has no boundary parameter');
  }
}

/**
 * The CSV import's chunk writer: the batch writer, which plans each chunk while the one before is
 * written. With IMPORT_WRITER=copy on PostgreSQL: COPY into a staging table and set-based
 * resolution (import-copy.ts), the batch writer as its fallback. Off by default: measured no
 * faster with the worker off and slower with it on (bench/README.md, issue 11).
 */
function importWriter(deps: { database: Database; service: IngestService; copy: boolean }, log: FastifyBaseLogger) {
  const { database, service } = deps;
  const batch = service.orderedWriter({ publish: false });
  if (database.kind !== 'postgres' || !deps.copy) return { chunkSize: IMPORT_CHUNK_ROWS.batch, write: batch };
  const fallback = (items: PreparedEvent[]) => service.ingestMany(items, { publish: false });
  const onFallback = (err: unknown) => log.warn({ err }, 'a COPY import chunk failed; writing it with the batch writer');
  const write = createCopyImportWriter(database, { fallback, onFallback, onWritten: service.countIngested });
  return { chunkSize: IMPORT_CHUNK_ROWS.copy, write };
}

async function importUpload(request: FastifyRequest, deps: { database: Database; service: IngestService; copy: boolean }) {
  const upload = await request.file();
  // Only the part named `file` is the upload; a CSV in any other part is not imported.
  if (upload && upload.fieldname !== 'file') upload.file.resume();
  if (!upload || upload.fieldname !== 'file') {
    throw new AppError('bad_request', 'the multipart body has no `file` part', [
      { field: 'body.file', message: 'upload the CSV in a multipart part named `file`' },
    ]);
  }
  if (!isCsvUpload(upload.mimetype, upload.filename)) {
    upload.file.resume();
    throw new AppError('unsupported_media_type', `expected a CSV file, got ${upload.mimetype}`);
  }
  const result = await importCsv(upload.file, {
    tenant: tenantOf(request.auth),
    // Two chunks in flight: one being written while the next is looked up or copied (and a third
    // parsed). Both writers commit them in file order, which is each lead's scoring order.
    concurrency: 2,
    ...importWriter(deps, request.log),
  });
  if (upload.file.truncated) {
    throw new AppError(
      'payload_too_large',
      `the file is larger than the upload limit; the ${result.accepted} rows before the limit were imported`,
    );
  }
  return result;
}

export interface IngestDeps {
  config: Config;
  database: Database;
  live: LiveHub;
  metrics: Metrics;
  /** Field mappings applied after each committed write (src/modules/accounts/mappings-on-ingest.ts). */
  afterWrite?: (written: WrittenEvent[]) => Promise<void>;
}

export async function ingestRoutes(app: FastifyInstance, deps: IngestDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const service = createIngestService(
    { database: deps.database, live: deps.live, registry: deps.metrics.registry, log: app.log, ...(deps.afterWrite && { afterWrite: deps.afterWrite }) },
    { groupWaitMs: deps.config.ingestGroup.waitMs, groupMaxInFlight: deps.config.ingestGroup.concurrency },
  );
  const limiter = createIngestLimiter({ mode: deps.config.rateLimit.mode, ...deps.config.ingestRateLimit }, deps.metrics.registry);
  /** The OU's events-per-second limit (ingest.limits.ts): a 429 here stores nothing. */
  const admit = (request: FastifyRequest, reply: FastifyReply, events: number) =>
    limiter.admit(tenantOf(request.auth), events, (seconds) => reply.header('retry-after', String(seconds)));
  const tags = ['Events'];
  app.addHook('onClose', async () => service.drain());
  runWithApp(app, everyInterval('purge expired message ids', MESSAGE_PURGE_INTERVAL_MS, () => service.purgeExpiredMessages(), app.log));

  r.post('/events', {
    config: { access: access.ou('Operator') },
    schema: {
      tags,
      operationId: 'ingestEvent',
      summary: 'Ingest engagement event (202 once committed; identity by lead_id or aliases)',
      description: `${MESSAGE_ID_NOTE} ${JSON_ROUTE_NOTE}`,
      body: eventInputSchema,
      response: { 202: ingestedSchema, ...errorResponses(400, 401, 403, 404, 413, 415, 429) },
    },
    handler: async (request, reply) => {
      admit(request, reply, 1);
      const outcome = await service.ingest(prepareEvent(request.body, tenantOf(request.auth), new Date()));
      if (!outcome.ok) throw outcome.error;
      const { eventId, leadId, leadCreated, duplicate } = outcome;
      const metadata = { event_id: eventId, lead_id: leadId, lead_created: leadCreated, duplicate };
      return reply.code(202).send({ message: duplicate ? 'event already ingested (duplicate message_id)' : 'event ingested', metadata });
    },
  });

  r.post('/events/batch', {
    bodyLimit: BATCH_BODY_LIMIT,
    // Items are checked one by one (parseEvent), so a bad item is its own 400 result.
    config: { access: access.ou('Operator'), storableBody: 'per-item' },
    schema: {
      tags,
      operationId: 'ingestEventBatch',
      summary: 'Ingest up to 1000 events in one request; per-item results in order',
      description: `Each item is validated as POST /events validates its body; a bad item gets its own result. ${MESSAGE_ID_NOTE} ${JSON_ROUTE_NOTE}`,
      body: batchBodySchema,
      response: { 202: batchResponseSchema, ...errorResponses(400, 401, 403, 413, 415, 429) },
    },
    handler: async (request, reply) => {
      admit(request, reply, request.body.events.length);
      const tenant = tenantOf(request.auth);
      const receivedAt = new Date();
      const results: Array<z.infer<typeof batchResponseSchema>['results'][number]> = [];
      const valid: Array<{ index: number; item: PreparedEvent }> = [];
      request.body.events.forEach((raw, index) => {
        try {
          valid.push({ index, item: parseEvent(raw, tenant, receivedAt) });
        } catch (err) {
          if (!(err instanceof AppError)) throw err;
          results[index] = { index, status: err.status, error: err.code, message: describeError(err) };
        }
      });
      const outcomes = await service.ingestMany(valid.map((v) => v.item), { publish: true });
      outcomes.forEach((o, i) => {
        const index = (valid[i] as { index: number }).index;
        results[index] = o.ok
          ? { index, status: 202, event_id: o.eventId, lead_id: o.leadId, lead_created: o.leadCreated, duplicate: o.duplicate }
          : { index, status: o.error.status, error: o.error.code, message: describeError(o.error) };
      });
      const accepted = outcomes.filter((o) => o.ok).length;
      return reply
        .code(202)
        .send({ message: 'events processed', accepted, rejected: results.length - accepted, results });
    },
  });

  // The multipart parser only where a multipart body is expected: the JSON routes answer it with 415.
  await app.register(async (child) => {
    await child.register(multipart, { limits: { fileSize: deps.config.importMaxBytes, files: 1, fields: 10, parts: 20 } });
    child.withTypeProvider<ZodTypeProvider>().post('/events/import', {
      config: { access: access.ou('Operator') },
      preValidation: requireMultipart,
      schema: {
        tags,
        operationId: 'importEvents',
        summary: 'Import events from a CSV upload (multipart `file`), streamed; bad rows reported and skipped',
        description:
          'Columns: event_type (required), lead_id, timestamp (RFC3339), metadata (JSON object), message_id ' +
          '(idempotency key, as on POST /events: a row whose message_id was stored in the last 7 days is counted in ' +
          '`duplicates` and not stored again), and the alias columns external_id, email, phone, cookie, social. Upload limit IMPORT_MAX_BYTES (default 100 MB). ' +
          'Only the part named `file` is read (400 without one); a non-multipart body is a 415. Rows of a reserved ' +
          'type (DECAY) or holding what the database cannot store (NUL, lone surrogates) are reported and skipped.',
        consumes: ['multipart/form-data'],
        body: z
          .object({
            file: z.unknown().optional().meta({ type: 'string', format: 'binary', description: 'CSV file with header row' }),
          })
          .nullish(),
        response: { 202: importResponseSchema, ...errorResponses(400, 401, 403, 413, 415) },
      },
      handler: async (request, reply) => {
        const result = await importUpload(request, { database: deps.database, service, copy: deps.config.importWriter === 'copy' });
        return reply.code(202).send({ message: 'import finished', ...result });
      },
    });
  });
}
