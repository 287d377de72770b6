import ipaddr from 'ipaddr.js';

/**
 * Whether a webhook URL names a private target by itself: a literal address outside the public
 * unicast range (loopback, private, link-local, reserved...) or a `localhost` name. A hostname is
 * checked again on its resolved address when the sender connects (request-filtering-agent), which
 * is the check that counts; this one only refuses the obvious at creation with a clear 400.
 */
export function isPrivateTarget(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return false;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (!ipaddr.isValid(host)) return false;
  return ipaddr.process(host).range() !== 'unicast';
}
