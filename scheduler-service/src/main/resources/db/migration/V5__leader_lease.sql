-- Which scheduler leads (Leadership): one row. The leader renews renewed_at every poll interval where the epoch is
-- still its own; another takes over (epoch + 1) once renewed_at is older than the takeover delay. `since` is when
-- the current epoch began. Leader-only transactions lock the row FOR KEY SHARE where the epoch is the one they were
-- granted (LeaderFence); the epoch is a unique key, so changing it needs FOR UPDATE and waits for them, while a
-- renewal (renewed_at only) does not.
CREATE TABLE leader (
    id          integer     PRIMARY KEY CHECK (id = 1),
    epoch       bigint      NOT NULL UNIQUE,
    holder      text,
    renewed_at  timestamptz NOT NULL,
    since       timestamptz NOT NULL
);
INSERT INTO leader (id, epoch, holder, renewed_at, since) VALUES (1, 0, NULL, '-infinity', '-infinity');

-- Who wrote each outbox row: the writing session's application_name (a scheduler names its pool's sessions after
-- its instance id), and the leader epoch of a leader-only transaction (LeaderFence sets it; null for the
-- observations any scheduler applies). created_at is the moment of the insert, not the start of its transaction.
ALTER TABLE outbox
    ADD COLUMN written_by   text   DEFAULT current_setting('application_name'),
    ADD COLUMN leader_epoch bigint DEFAULT nullif(current_setting('gpufleet.leader_epoch', true), '')::bigint;
ALTER TABLE outbox ALTER COLUMN created_at SET DEFAULT clock_timestamp();
