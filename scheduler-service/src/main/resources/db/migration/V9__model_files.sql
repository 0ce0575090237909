-- The model file sets each worker's latest heartbeat listed, with its models directory's disk
-- ({"sets": [ModelFileSet...], "directory": ModelDirectory}); served by /api/v1/model-files.
ALTER TABLE worker
    ADD COLUMN model_files jsonb;
