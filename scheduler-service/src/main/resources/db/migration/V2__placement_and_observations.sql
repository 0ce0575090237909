-- The registry's estimate of the model's memory needs (ResourceEstimate), null until it has one.
ALTER TABLE model ADD COLUMN estimate jsonb;

-- What the agent's latest heartbeat says it runs ({"instances": [ObservedInstance...]}): an instance whose
-- worker was UNREACHABLE takes its state from here when the worker is back.
ALTER TABLE worker ADD COLUMN instances jsonb NOT NULL DEFAULT '{"instances": []}';

ALTER TABLE instance
    -- where it was placed: {"gpuIndexes": [..], "claim": ResourceClaim}; null while PENDING
    ADD COLUMN assignment         jsonb,
    ADD COLUMN launch_plan        jsonb,
    ADD COLUMN endpoint           text,
    -- from the latest applied InstanceObserved
    ADD COLUMN port               integer,
    ADD COLUMN pid                bigint,
    ADD COLUMN download_progress  double precision,
    ADD COLUMN observed_state     text,
    ADD COLUMN observed_revision  bigint,
    -- restarts after errors, ever (identifies the run; never goes down) ...
    ADD COLUMN restart_count      integer     NOT NULL DEFAULT 0,
    -- ... and since it last ran for the backoff's reset period (picks the backoff step)
    ADD COLUMN recent_restarts    integer     NOT NULL DEFAULT 0,
    ADD COLUMN state_since        timestamptz;
UPDATE instance SET state_since = updated_at;
ALTER TABLE instance ALTER COLUMN state_since SET NOT NULL;
CREATE INDEX instance_worker ON instance (worker_id) WHERE worker_id IS NOT NULL;
