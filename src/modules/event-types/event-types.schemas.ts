import { z } from 'zod';
import { isReservedEventType, RESERVED_TYPE_MESSAGE } from '../events/system-events.js';
import type { EventTypeSettingRow } from './event-types.repository.js';

export const eventTypeName = z.string().min(1).max(128);
export const eventTypeParams = z.object({ eventType: eventTypeName });
export const processingScope = z.enum(['observe', 'decide', 'activate']);

export const propertiesSchema = z
  .object({
    event_type: z.string(),
    properties: z.array(z.string()).describe('Distinct top-level metadata keys, sorted'),
  })
  .meta({ id: 'EventTypeProperties' });

export const eventTypeSettingSchema = z
  .object({
    event_type: z.string(),
    hidden: z.boolean(),
    max_processing_scope: processingScope,
    canonical_type: z.string().nullable(),
    count: z.number().int().describe('Events of this type stored in the active OU'),
  })
  .meta({ id: 'EventTypeSetting' });

export const updateSettingBody = z
  .object({
    hidden: z.boolean().optional(),
    max_processing_scope: processingScope
      .optional()
      .describe('Ceiling for event processing in this OU; does not imply execution'),
    canonical_type: eventTypeName
      .refine((type) => !isReservedEventType(type), RESERVED_TYPE_MESSAGE)
      .nullable()
      .optional()
      .describe(
        'Store events of this type also as this canonical type (a normalized pair); null clears it. ' +
          'A type the server writes itself (DECAY, any case) is refused with 400.',
      ),
  })
  .refine((b) => b.hidden !== undefined || b.max_processing_scope !== undefined || b.canonical_type !== undefined, {
    message: 'give at least one of hidden, max_processing_scope, canonical_type',
  });

export type SettingPatch = z.infer<typeof updateSettingBody>;

export const deletePreviewSchema = z.object({
  event_type: z.string(),
  events_count: z.number().int(),
  event_scores_count: z.number().int(),
  leads_count: z.number().int().describe('Distinct leads that have events of this type'),
});

export const deleteResultSchema = z.object({
  event_type: z.string(),
  events_deleted: z.number().int(),
  event_scores_deleted: z.number().int(),
});

export function toSetting(row: EventTypeSettingRow) {
  return {
    event_type: row.event_type,
    hidden: row.hidden,
    max_processing_scope: row.max_processing_scope,
    canonical_type: row.canonical_type,
    count: row.count,
  };
}
