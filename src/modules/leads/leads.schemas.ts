import { z } from 'zod';
import { aliasKindSchema } from '../ingest/ingest.schemas.js';

export const leadParamsSchema = z.object({ leadID: z.string().min(1).max(128) });

export const leadAliasSchema = z
  .object({ alias_kind: aliasKindSchema, value: z.string(), created_at: z.string() })
  .meta({ id: 'LeadAlias' });
export type LeadAlias = z.infer<typeof leadAliasSchema>;
