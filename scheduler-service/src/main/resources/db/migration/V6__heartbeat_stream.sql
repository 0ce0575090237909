-- Where the latest heartbeat falls in its agent's own stream (WorkerReported.agentRunId, heartbeatSequence, and the
-- envelope's occurredAt on the agent's clock): the scheduler tells a worker's own silence from late delivery by it.
-- `last_heartbeat_at` stays on the scheduler's clock: when the worker was last heard, credited to the time the
-- worker built a heartbeat that arrived late (HeartbeatStream).
ALTER TABLE worker
    ADD COLUMN agent_run_id       text,
    ADD COLUMN heartbeat_sequence bigint,
    ADD COLUMN last_occurred_at   timestamptz;
