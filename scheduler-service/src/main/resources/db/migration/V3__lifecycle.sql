-- An admin's cordon: no new placements (state MAINTENANCE whatever the heartbeats say) until uncordoned.
-- `draining` also moves the worker's instances elsewhere.
ALTER TABLE worker
    ADD COLUMN cordoned boolean NOT NULL DEFAULT false,
    ADD COLUMN draining boolean NOT NULL DEFAULT false;

-- The most VRAM per GPU ever measured for a RUNNING instance of a model with a backend on a GPU product
-- (GpuDevice.name); placement uses it instead of the estimate when it is higher.
CREATE TABLE measured_usage (
    model_id     text        NOT NULL,
    backend      text        NOT NULL,
    gpu_name     text        NOT NULL,
    vram_bytes   bigint      NOT NULL,
    measured_at  timestamptz NOT NULL,
    PRIMARY KEY (model_id, backend, gpu_name)
);
