-- A set-based write that finds one of its assumptions broken (an alias it meant to create was
-- created by a concurrent transaction first) calls this to abort itself with a known SQLSTATE, so
-- the caller can look up again and retry the whole statement; nothing of it is written.
create function lv_assert(ok boolean, sqlstate text, message text) returns boolean
language plpgsql
as $$
begin
  if not ok then
    raise exception '%', message using errcode = sqlstate;
  end if;
  return true;
end
$$;
