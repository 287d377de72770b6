import nodemailer from 'nodemailer';
import type { DeliveryChannel, OutgoingDelivery, SendResult } from './channels.js';
import { skipped } from './channels.js';

interface EmailTarget {
  to: string[];
  subject: string | null;
  preheader: string | null;
  message: string | null;
}

interface FiringPayload {
  type?: string;
  lead_id?: string;
  score?: number;
  trigger?: { name?: string | null; kind?: string };
  event?: { event_type?: string; occurred_at?: string };
}

/** The message: the trigger's subject and text when set, else a plain summary of the firing. */
function messageOf(target: EmailTarget, p: FiringPayload) {
  const name = p.trigger?.name ?? `${p.trigger?.kind ?? 'trigger'}`;
  const summary = `Lead ${p.lead_id} fired ${name} on ${p.event?.event_type} at ${p.event?.occurred_at} (score ${p.score}).`;
  const text = [target.preheader, target.message, summary].filter((part) => part).join('\n\n');
  return { subject: target.subject ?? `Leadvibe: ${name} fired for lead ${p.lead_id}`, text };
}

/** SMTP 4xx replies and connection failures are temporary; 5xx replies are final. */
function errorResult(err: unknown): SendResult {
  const code = (err as { responseCode?: number }).responseCode;
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, error: message, httpStatus: code, retryable: code === undefined || code < 500 };
}

/** SMTP_URL (smtp://user:pass@host:port, smtps:// for TLS from the start) with the delivery timeout. */
function smtpOptions(smtpUrl: string, timeoutMs: number) {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  };
}

/** Email through nodemailer over SMTP_URL; without it every email delivery is recorded skipped. */
export function createEmailChannel(deps: { smtpUrl: string | undefined; from: string; timeoutMs: number }): DeliveryChannel & { close(): void } {
  const transport = deps.smtpUrl ? nodemailer.createTransport(smtpOptions(deps.smtpUrl, deps.timeoutMs)) : null;
  return {
    kind: 'email',
    async send(d: OutgoingDelivery): Promise<SendResult> {
      if (!transport) return skipped('SMTP_URL is not configured: email deliveries are skipped');
      const target = d.target as unknown as EmailTarget;
      const { subject, text } = messageOf(target, d.payload as FiringPayload);
      try {
        await transport.sendMail({ from: deps.from, to: target.to, subject, text, headers: { 'X-Leadvibe-Delivery': d.id } });
        return { ok: true, retryable: false };
      } catch (err) {
        return errorResult(err);
      }
    },
    close() {
      transport?.close();
    },
  };
}
