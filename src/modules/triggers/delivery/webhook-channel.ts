import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import type { DeliveryChannel, OutgoingDelivery, SendResult } from './channels.js';

export interface WebhookChannelDeps {
  /** The organization's signing secret (made on first use). */
  secretOf: (orgId: string) => Promise<string>;
  allowPrivate: boolean;
  timeoutMs: number;
}

/** `t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">` (semantics §7). */
export function signature(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},sha256=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** 408, 429 and 5xx may pass on a later try; any other non-2xx answer will not. */
const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** Agents that refuse, at connect time, any resolved address that is not public unicast. */
function agents(allowPrivate: boolean) {
  if (allowPrivate) return { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  return { http: new RequestFilteringHttpAgent({ keepAlive: true }), https: new RequestFilteringHttpsAgent({ keepAlive: true }) };
}

function post(url: URL, body: string, headers: Record<string, string>, agent: http.Agent, timeoutMs: number): Promise<number> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Webhooks: POST the firing's JSON, signed with the organization's secret; redirects are not followed. */
export function createWebhookChannel(deps: WebhookChannelDeps): DeliveryChannel & { close(): void } {
  const agent = agents(deps.allowPrivate);
  return {
    kind: 'webhook',
    async send(d: OutgoingDelivery): Promise<SendResult> {
      const url = new URL((d.target as { url: string }).url);
      const body = JSON.stringify(d.payload);
      const t = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Leadvibe-Webhooks/1.0',
        'x-leadvibe-signature': signature(await deps.secretOf(d.org_id), t, body),
        'x-leadvibe-delivery': d.id,
        'x-leadvibe-attempt': String(d.attempt),
      };
      try {
        const status = await post(url, body, headers, url.protocol === 'https:' ? agent.https : agent.http, deps.timeoutMs);
        if (status >= 200 && status < 300) return { ok: true, httpStatus: status, retryable: false };
        return { ok: false, httpStatus: status, error: `receiver answered HTTP ${status}`, retryable: retryableStatus(status) };
      } catch (err) {
        return errorResult(err, deps.timeoutMs);
      }
    },
    close() {
      agent.http.destroy();
      agent.https.destroy();
    },
  };
}

function errorResult(err: unknown, timeoutMs: number): SendResult {
  const message = err instanceof Error ? err.message : String(err);
  if (/is not allowed\. Because/.test(message)) {
    return { ok: false, error: `refused: the webhook address is private, loopback or link-local (ALLOW_PRIVATE_WEBHOOKS is off): ${message}`, retryable: false };
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { ok: false, error: `no answer within ${timeoutMs} ms`, retryable: true };
  return { ok: false, error: message, retryable: true };
}
