import { z } from 'zod';
import { MAX_EVENT_TYPE } from '../ingest/ingest.schemas.js';
import type { OrgUnit, Organization, PublicMember } from './org.repository.js';

export const ouRole = z.enum(['Owner', 'Operator', 'Viewer']);
export const orgRole = z.enum(['admin', 'member']);
export const uuidParam = z.string().uuid();
export const idParams = z.object({ id: uuidParam });
const name = z.string().trim().min(1).max(200);
const timestamp = z.string();

export const unitSchema = z
  .object({
    unit_id: z.string(),
    name: z.string(),
    slug: z.string(),
    session_timeout_minutes: z.number().int(),
    conversion_event_types: z.array(z.string()),
    created_at: timestamp,
  })
  .meta({ id: 'OrgUnit' });

export const unitWithRoleSchema = unitSchema.extend({ role: ouRole });

export const organizationSchema = z
  .object({
    org_id: z.string(),
    name: z.string(),
    slug: z.string(),
    allow_negative_scores: z.boolean(),
    abm_enabled: z.boolean(),
    created_at: timestamp,
  })
  .meta({ id: 'Organization' });

export const unitListSchema = z.object({ units: z.array(unitWithRoleSchema), organization: organizationSchema });
export const createUnitBody = z.object({ name });
/** At most this many conversion types per OU (migrations/0066 checks the same bound). */
export const MAX_CONVERSION_TYPES = 50;
const conversionEventTypes = z
  .array(z.string().trim().min(1).max(MAX_EVENT_TYPE))
  .min(1)
  .max(MAX_CONVERSION_TYPES)
  .refine((types) => new Set(types).size === types.length, 'each event type may appear once')
  .describe(
    'Event types whose web events are conversions in session attribution (POST /api/v1/insights, /api/v1/contacts); ' +
      'an event with `metadata.conversion = true` converts too. Default form_submit, demo_request, signup, purchase',
  );
export const updateUnitBody = z.object({
  name,
  session_timeout_minutes: z.number().int().min(1).max(1440).optional(),
  conversion_event_types: conversionEventTypes.optional(),
});
export const setActiveBody = z.object({ ouId: uuidParam });

export const memberSchema = z
  .object({
    org_member_id: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    email: z.string(),
    role: orgRole,
    verified: z.boolean(),
    created_at: timestamp,
  })
  .meta({ id: 'Member' });

const email = z.string().trim().toLowerCase().pipe(z.email()).pipe(z.string().max(254));
export const password = z.string().min(8, 'passwords need at least 8 characters').max(200);
export const personName = z.string().trim().min(1).max(200);

export const createMemberBody = z.object({
  first_name: personName,
  last_name: personName,
  email,
  password,
  role: orgRole,
});
export const updateMemberBody = z
  .object({
    first_name: personName.optional(),
    last_name: personName.optional(),
    email: email.optional(),
    role: orgRole.optional(),
    password: password.optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: 'give at least one field to change' });

export const membershipSchema = z
  .object({
    org_member_id: z.string(),
    unit_id: z.string(),
    role: ouRole,
    first_name: z.string(),
    last_name: z.string(),
    email: z.string(),
    created_at: timestamp,
  })
  .meta({ id: 'OuMembership' });
export const assignMemberBody = z.object({ org_member_id: uuidParam, role: ouRole.default('Viewer') });
export const updateMembershipBody = z.object({ role: ouRole });
export const membershipParams = z.object({ id: uuidParam, memberId: uuidParam });

export const emailSchema = email;

export function toUnit(row: OrgUnit) {
  return {
    unit_id: row.id,
    name: row.name,
    slug: row.slug,
    session_timeout_minutes: row.session_timeout_minutes,
    conversion_event_types: row.conversion_event_types,
    created_at: row.created_at.toISOString(),
  };
}

export function toOrganization(row: Organization) {
  return {
    org_id: row.id,
    name: row.name,
    slug: row.slug,
    allow_negative_scores: row.allow_negative_scores,
    abm_enabled: row.abm_enabled,
    created_at: row.created_at.toISOString(),
  };
}

export function toMember(row: PublicMember) {
  return {
    org_member_id: row.id,
    first_name: row.first_name,
    last_name: row.last_name,
    email: row.email,
    role: row.role,
    verified: row.verified,
    created_at: row.created_at.toISOString(),
  };
}

export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return slug || 'unit';
}
