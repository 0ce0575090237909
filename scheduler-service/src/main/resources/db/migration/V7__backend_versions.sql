-- Engine versions per worker: what the agent's heartbeat lists, and what operators registered by path through
-- /api/v1/workers/{id}/backend-versions ({"versions": [BackendVersion...]} each). A model's backend_version
-- places its instances only on workers that have it.
ALTER TABLE worker
    ADD COLUMN backend_versions            jsonb,
    ADD COLUMN registered_backend_versions jsonb;
