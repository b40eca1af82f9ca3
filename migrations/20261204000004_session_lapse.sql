-- Issue #15: when an open session stopped holding its seat, in one place
-- for every query that ends sessions or reads their spans: its idle lease
-- after the last heartbeat, or its lifetime after sign-in, whichever came
-- first, but never before its last sign of life (a lifetime lowered later
-- does not end a session before it was last seen).
CREATE FUNCTION rollcall_lapse_at(last_seen timestamptz, created timestamptz,
                                  lease_seconds integer, lifetime_hours integer)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT GREATEST(last_seen, LEAST(last_seen + make_interval(secs => lease_seconds),
                                     created + make_interval(hours => lifetime_hours)))
$$;

-- Why it lapsed: `lifetime` when the lifetime ran out first, else
-- `lease_expired` (the values of sessions.end_reason).
CREATE FUNCTION rollcall_lapse_reason(last_seen timestamptz, created timestamptz,
                                      lease_seconds integer, lifetime_hours integer)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN created + make_interval(hours => lifetime_hours)
                     < last_seen + make_interval(secs => lease_seconds)
                THEN 'lifetime' ELSE 'lease_expired' END
$$;
