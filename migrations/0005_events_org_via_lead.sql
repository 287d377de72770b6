-- An event belongs to its organization through its lead: the (unit_id, lead_id) foreign key to
-- leads already carries integrity and the cascade when an organization (or OU, or lead) is
-- deleted, and the writers copy org_id from the lead's OU. The direct key to organizations cost
-- one more check per ingested event and made every concurrent ingest transaction share-lock the
-- same organizations row. org_id stays on the table for scoping and sharding.
alter table events drop constraint events_org_id_fkey;
