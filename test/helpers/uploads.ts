import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import type { Session } from './factories.js';

const BOUNDARY = '----leadvibe-test-boundary';

export interface UploadOptions {
  /** The multipart part name (the import reads only `file`). */
  part?: string;
  filename?: string;
  type?: string;
}

/** A one-part multipart/form-data body carrying `content` as a file, as a browser would send it. */
export function multipartFile(content: string | Buffer, options: UploadOptions = {}) {
  const { part = 'file', filename = 'events.csv', type = 'text/csv' } = options;
  const payload = Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } };
}

/** POST /events/import of `content` as the session's member. */
export function importCsv(app: FastifyInstance, session: Session, content: string | Buffer, options: UploadOptions = {}) {
  const body = multipartFile(content, options);
  return app.inject({ method: 'POST', url: '/events/import', headers: { ...session.headers, ...body.headers }, payload: body.payload });
}

/** How many events, leads and aliases an OU holds: what a rejected write must leave unchanged. */
export async function ouCounts(database: Database, unitId: string) {
  const { rows } = await sql<{ events: number; leads: number; aliases: number; messages: number }>`
    select (select count(*)::int from events where unit_id = ${unitId}) as events,
           (select count(*)::int from leads where unit_id = ${unitId}) as leads,
           (select count(*)::int from lead_aliases where unit_id = ${unitId}) as aliases,
           (select count(*)::int from ingest_messages where unit_id = ${unitId}) as messages`.execute(database.db);
  return rows[0] as { events: number; leads: number; aliases: number; messages: number };
}
