import { errorStatus } from '../../../src/http/errors.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/**
 * What a stack trace or a database error looks like in a response: a frame (`at fn (file.ts:1:2)`),
 * a source position, a dependency path, SQL keywords and PostgreSQL's own wording.
 */
const LEAK_MARKERS: Array<[string, RegExp]> = [
  ['a stack frame', /\bat \S+ \(|\n\s+at \S/],
  ['a source position', /\.(?:ts|js|mjs|cjs):\d+/],
  ['a dependency path', /node_modules/],
  ['SQL text', /\bSELECT\b|\bINSERT INTO\b|\bselect\b[^"]{0,200}\bfrom\b|\bdelete from\b|\bupdate "?\w+"? set\b/],
  ['a PostgreSQL message', /syntax error|\bpg_\w|relation "|violates|duplicate key|invalid input syntax|out of range for type/i],
];

/** Every string the request carried (path, query and body text), so an echo of the client's own input is not a leak. */
function sentFragments(url: string, payload: string | undefined): string[] {
  const pieces = [url, ...url.split(/[/?&=]/)];
  const decoded = pieces.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const fromBody: string[] = [];
  if (payload) {
    fromBody.push(payload);
    for (const m of payload.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
      fromBody.push(m[1] ?? '');
      try {
        fromBody.push(JSON.parse(`"${m[1]}"`) as string);
      } catch {
        // not a JSON string literal on its own (a fragment of broken JSON): the raw text is enough
      }
    }
  }
  return [...pieces, ...decoded, ...fromBody].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
}

function withoutEchoes(body: string, url: string, payload: string | undefined): string {
  let text = body;
  for (const fragment of sentFragments(url, payload)) {
    text = text.split(fragment).join(' ');
    const escaped = JSON.stringify(fragment).slice(1, -1);
    if (escaped !== fragment) text = text.split(escaped).join(' ');
  }
  return text;
}

const ENVELOPE_KEYS = new Set(['error', 'message', 'details', 'request_id']);

function envelopeProblems(answer: Answer): string[] {
  const problems: string[] = [];
  const type = String(answer.headers['content-type'] ?? '');
  if (!type.startsWith('application/json')) problems.push(`content-type is "${type}", not application/json`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(answer.body) as Record<string, unknown>;
  } catch {
    return [...problems, 'the body is not JSON'];
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [...problems, 'the body is not a JSON object'];
  const extra = Object.keys(body).filter((k) => !ENVELOPE_KEYS.has(k));
  if (extra.length) problems.push(`unexpected keys ${extra.join(', ')}`);
  const code = body.error;
  if (typeof code !== 'string' || !(code in errorStatus)) problems.push(`error code ${JSON.stringify(code)} is not in src/http/errors.ts`);
  else if (errorStatus[code as keyof typeof errorStatus] !== answer.status) problems.push(`code ${code} answers ${errorStatus[code as keyof typeof errorStatus]}, not ${answer.status}`);
  if (typeof body.message !== 'string' || body.message.length === 0) problems.push('no message');
  if (typeof body.request_id !== 'string' || body.request_id !== answer.headers['x-request-id']) problems.push('request_id missing or not the x-request-id header');
  const details = body.details;
  if (details !== undefined) {
    const ok = Array.isArray(details) && details.length > 0 && details.every((d) => d && typeof d.field === 'string' && typeof d.message === 'string');
    if (!ok) problems.push('details is not a non-empty list of {field, message}');
  }
  return problems;
}

/** Why this answer breaks the contract: a 5xx, a leak, or an error that is not the envelope. */
export function answerProblems(answer: Answer, url: string, payload: string | undefined): string[] {
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`status ${answer.status}`);
  if (answer.status >= 400) {
    problems.push(...envelopeProblems(answer));
    // Only error bodies: a 2xx list may show what earlier fuzzed requests stored.
    const text = withoutEchoes(answer.body, url, payload);
    for (const [what, marker] of LEAK_MARKERS) if (marker.test(text)) problems.push(`the body shows ${what}`);
  }
  return problems;
}
