import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A call the fake received: the Web API method, the bearer token and the form arguments. */
export interface SlackCall {
  method: string;
  token: string | null;
  args: Record<string, string>;
}

export interface FakeAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** A JSON body, or raw text (a proxy's HTML error page…). */
  body: unknown;
}

type Handler = (call: SlackCall) => FakeAnswer;

/** The app the fake knows: oauth.v2.access accepts only these credentials. */
export const FAKE_APP = { clientId: '1111.2222', clientSecret: 'fake-client-secret' };

const CHANNELS = [
  { id: 'C0000000001', name: 'general', is_private: false },
  { id: 'C0000000002', name: 'sales', is_private: false },
  { id: 'G0000000003', name: 'leadership', is_private: true },
];
const USERS = [
  { id: 'U0000000001', name: 'ada', real_name: 'Ada Lovelace' },
  { id: 'U0000000002', name: 'bob', real_name: 'Bob Builder' },
];

/** A page of `items` from the numeric `cursor`, as Slack pages: next_cursor empty on the last page. */
function page(items: object[], args: Record<string, string>) {
  const start = Number(args.cursor ?? 0);
  const limit = Number(args.limit ?? 100);
  const next = start + limit < items.length ? String(start + limit) : '';
  return { slice: items.slice(start, start + limit), response_metadata: { next_cursor: next } };
}

/**
 * A Slack Web API on 127.0.0.1 (random port) for tests: SLACK_API_BASE points at `url`. A code
 * `code-<x>` exchanges for the bot token `xoxb-<x>` of team `T<X>`; calls with a token it never
 * issued answer invalid_auth. `next(method, answer)` overrides the next call of a method.
 */
export async function startFakeSlack() {
  const calls: SlackCall[] = [];
  const issued = new Set<string>();
  const overrides = new Map<string, FakeAnswer[]>();

  const authed = (call: SlackCall, answer: () => unknown): FakeAnswer =>
    call.token && issued.has(call.token) ? { body: answer() } : { body: { ok: false, error: call.token ? 'invalid_auth' : 'not_authed' } };

  const handlers: Record<string, Handler> = {
    'oauth.v2.access': ({ args }) => {
      if (args.client_id !== FAKE_APP.clientId) return { body: { ok: false, error: 'invalid_client_id' } };
      if (args.client_secret !== FAKE_APP.clientSecret) return { body: { ok: false, error: 'bad_client_secret' } };
      const x = /^code-([a-z0-9]+)$/.exec(args.code ?? '')?.[1];
      if (!x) return { body: { ok: false, error: 'invalid_code' } };
      issued.add(`xoxb-${x}`);
      const team = { id: `T${x.toUpperCase()}`, name: `Workspace ${x}` };
      return { body: { ok: true, access_token: `xoxb-${x}`, token_type: 'bot', scope: 'chat:write,channels:read', bot_user_id: 'UBOT000001', app_id: 'A0000000001', team } };
    },
    'conversations.list': (call) =>
      authed(call, () => {
        const wanted = (call.args.types ?? 'public_channel').split(',');
        const kept = CHANNELS.filter((c) => wanted.includes(c.is_private ? 'private_channel' : 'public_channel'));
        const { slice, response_metadata } = page(kept, call.args);
        return { ok: true, channels: slice, response_metadata };
      }),
    'users.list': (call) =>
      authed(call, () => {
        const { slice, response_metadata } = page(USERS, call.args);
        return { ok: true, members: slice, response_metadata };
      }),
    'conversations.open': (call) =>
      authed(call, () => (/^U/.test(call.args.users ?? '') ? { ok: true, channel: { id: `D${call.args.users?.slice(1)}` } } : { ok: false, error: 'user_not_found' })),
    'chat.postMessage': (call) =>
      authed(call, () => (/^[CGD]/.test(call.args.channel ?? '') ? { ok: true, channel: call.args.channel, ts: '1700000000.000100' } : { ok: false, error: 'channel_not_found' })),
    'auth.revoke': (call) =>
      authed(call, () => {
        issued.delete(call.token as string);
        return { ok: true, revoked: true };
      }),
  };

  async function answer(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = (req.url ?? '').split('?')[0]?.replace(/^\/api\//, '') ?? '';
    const auth = req.headers.authorization;
    const call: SlackCall = {
      method,
      token: auth?.startsWith('Bearer ') ? auth.slice(7) : null,
      args: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))),
    };
    calls.push(call);
    const override = overrides.get(method)?.shift();
    const out = override ?? handlers[method]?.(call) ?? { body: { ok: false, error: 'unknown_method' } };
    const text = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
    res.writeHead(out.status ?? 200, { 'content-type': typeof out.body === 'string' ? 'text/html' : 'application/json', ...out.headers });
    res.end(text);
  }

  const server = createServer((req, res) => void answer(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api`,
    calls,
    /** Calls of one method, in order. */
    callsOf: (method: string) => calls.filter((c) => c.method === method),
    next(method: string, out: FakeAnswer) {
      overrides.set(method, [...(overrides.get(method) ?? []), out]);
    },
    /** Closes kept-alive connections, as a server does after its keep-alive timeout. */
    dropIdleConnections: () => server.closeIdleConnections(),
    /** Forgets a token, as Slack does when the app is uninstalled from the workspace. */
    revoke: (token: string) => issued.delete(token),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;
