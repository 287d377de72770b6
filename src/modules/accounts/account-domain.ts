import freemail from '@activeprospect/freemail';

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** A domain as accounts store it: lowercase, trimmed, without a scheme, path or leading "www."; null if not a domain. */
export function normalizeDomain(raw: string): string | null {
  const host = raw.trim().toLowerCase().replace(/^[a-z]+:\/\//, '').split(/[/?#]/)[0]?.replace(/^www\./, '').replace(/\.$/, '') ?? '';
  return DOMAIN.test(host) ? host : null;
}

/**
 * The company domain of a lead (semantics §5): the domain of its first email that is not at a free or
 * disposable mail provider (@activeprospect/freemail's maintained list), else its metadata.company_domain.
 */
export function leadDomain(emails: string[], companyDomain: string | null): string | null {
  for (const email of emails) {
    const at = email.lastIndexOf('@');
    const domain = at > 0 ? normalizeDomain(email.slice(at + 1)) : null;
    if (domain && !freemail.isFree(domain)) return domain;
  }
  return companyDomain ? normalizeDomain(companyDomain) : null;
}
