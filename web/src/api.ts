/** The API's error envelope (src/http/errors.ts): shown as `message`, never swallowed. */
export interface Envelope {
  error: string;
  message: string;
  details?: Array<{ field: string; message: string }>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly envelope: Envelope,
  ) {
    super(envelope.message);
  }
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function envelopeOf(res: Response): Promise<Envelope> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Envelope>;
    if (typeof body.message === 'string') return { error: body.error ?? 'error', message: body.message, details: body.details };
  } catch {
    // not JSON: a proxy or a crash page; fall through
  }
  return { error: 'http_error', message: `${res.status} ${res.statusText || 'request failed'}` };
}

/** Listeners told when the session ends (a 401 from any call): the app shows the login screen. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** One API call with the session cookie; resolves the JSON body, rejects with ApiError. */
export async function api<T>(method: string, path: string, options: { query?: Query; body?: unknown } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), {
      method,
      credentials: 'same-origin',
      headers: options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, { error: 'network', message: 'the server cannot be reached; check your connection' });
  }
  if (!res.ok) {
    const envelope = await envelopeOf(res);
    if (res.status === 401 && path !== '/auth/login' && path !== '/auth/me') for (const l of unauthorizedListeners) l();
    throw new ApiError(res.status, envelope);
  }
  if (res.status === 204) return null as T;
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', path, { query });
export const post = <T>(path: string, body?: unknown, query?: Query) => api<T>('POST', path, { body: body ?? {}, query });
export const put = <T>(path: string, body: unknown) => api<T>('PUT', path, { body });
export const del = <T>(path: string) => api<T>('DELETE', path);

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) {
    const details = err.envelope.details?.map((d) => `${d.field}: ${d.message}`).join('; ');
    return details ? `${err.envelope.message} (${details})` : err.envelope.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * A multipart upload with progress (fetch has none): `onProgress(fraction)` while the body is sent,
 * then `onProgress(null)` while the server works on it.
 */
export function upload<T>(path: string, file: File, onProgress: (fraction: number | null) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => onProgress(e.lengthComputable ? e.loaded / e.total : null);
    xhr.upload.onload = () => onProgress(null);
    xhr.onerror = () => reject(new ApiError(0, { error: 'network', message: 'the upload failed: the server cannot be reached' }));
    xhr.onload = () => {
      const res = new Response(xhr.responseText, { status: xhr.status, headers: { 'content-type': xhr.getResponseHeader('content-type') ?? '' } });
      if (xhr.status >= 200 && xhr.status < 300) resolve(JSON.parse(xhr.responseText) as T);
      else void envelopeOf(res).then((env) => reject(new ApiError(xhr.status, env)));
    };
    const body = new FormData();
    body.append('file', file);
    xhr.send(body);
  });
}
