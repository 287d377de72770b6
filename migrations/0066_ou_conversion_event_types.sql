-- Per-OU conversion types (semantics §9: "an event whose type is in the OU's conversion types,
-- default form_submit, demo_request, signup, purchase"), next to session_timeout_minutes. Read by
-- the session statements of POST /api/v1/insights and /api/v1/contacts; set with PUT /org-units/{id}.
-- The bounds repeat the API's validation (org.schemas.ts) so no other writer can store more.
alter table org_units
  add column conversion_event_types text[] not null default '{form_submit,demo_request,signup,purchase}'
    check (cardinality(conversion_event_types) between 1 and 50 and array_position(conversion_event_types, null) is null);
