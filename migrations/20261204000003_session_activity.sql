-- Issue #15: "idle" for the eviction policy and the device limit means no
-- activity by the person (a request other than the heartbeat, or keyboard
-- or pointer input reported with it), not merely no heartbeat: an open but
-- unused tab keeps its lease yet grows idle.
ALTER TABLE sessions ADD COLUMN active_at timestamptz;
UPDATE sessions SET active_at = last_seen_at;
ALTER TABLE sessions ALTER COLUMN active_at SET NOT NULL;
