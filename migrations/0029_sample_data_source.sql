-- Sample data (POST /admin/seed) tags what it creates with source = 'seed', so /admin/wipe-seed
-- removes exactly that. Leads and events carry the tag in metadata; scoring rules get a column.
alter table scoring_rules add column source text;
