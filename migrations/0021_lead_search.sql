-- GET /leads/search matches a lead id prefix or an alias value prefix (LIKE 'q%'). The primary keys
-- use the database collation, which a LIKE prefix cannot use unless it is C; text_pattern_ops can.
-- Aliases are written once per new lead (not per event), so the second index costs ingestion little.
create index leads_id_pattern on leads (org_id, unit_id, id text_pattern_ops);
create index lead_aliases_value_pattern on lead_aliases (org_id, unit_id, value text_pattern_ops);
