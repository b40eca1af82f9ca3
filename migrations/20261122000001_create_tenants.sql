-- Organisations that buy concurrent seats.
CREATE TABLE tenants (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug               text NOT NULL UNIQUE
                       CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' AND length(slug) >= 2),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    seat_limit         integer NOT NULL CHECK (seat_limit BETWEEN 0 AND 100000),
    -- A session not seen for this long no longer holds a seat.
    idle_lease_seconds integer NOT NULL DEFAULT 900 CHECK (idle_lease_seconds BETWEEN 60 AND 86400),
    created_at         timestamptz NOT NULL
);
