-- Deals made by POST /admin/seed are tagged source = 'seed' (as scoring rules are, 0029), so
-- /admin/wipe-seed removes exactly those. Sample accounts carry the tag in metadata.
alter table deals add column source text;
