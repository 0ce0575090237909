-- Models as last seen on gpufleet.models. A deleted model keeps its row and revision so that a late, older
-- ModelChanged cannot bring it back.
CREATE TABLE model (
    id          text        PRIMARY KEY,
    name        text        NOT NULL,
    spec        jsonb,
    replicas    integer     NOT NULL,
    deleted     boolean     NOT NULL,
    revision    bigint      NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Workers from their heartbeats on gpufleet.workers. `reported_state` is what the agent says; `state` is what
-- the scheduler concludes (READY, NOT_READY, UNREACHABLE, MAINTENANCE).
CREATE TABLE worker (
    id                          text        PRIMARY KEY,
    name                        text        NOT NULL,
    address                     text,
    agent_port                  integer     NOT NULL,
    os                          text,
    arch                        text,
    labels                      jsonb       NOT NULL,
    cpu_cores                   integer     NOT NULL,
    cpu_utilization_percent     double precision NOT NULL,
    memory_total_bytes          bigint      NOT NULL,
    memory_used_bytes           bigint      NOT NULL,
    gpus                        jsonb       NOT NULL, -- {"devices": [GpuDevice...]}
    reported_state              text        NOT NULL,
    state                       text        NOT NULL,
    state_message               text,
    last_heartbeat_at           timestamptz NOT NULL,
    heartbeat_interval_seconds  integer     NOT NULL,
    revision                    bigint      NOT NULL,
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL
);

-- Instances; this service is their single writer. Every change is also an outbox row in the same transaction.
CREATE TABLE instance (
    id              uuid        PRIMARY KEY,
    name            text        NOT NULL,
    model_id        text        NOT NULL,
    model_name      text        NOT NULL,
    state           text        NOT NULL,
    state_message   text,
    worker_id       text,
    worker_name     text,
    revision        bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX instance_model ON instance (model_id);

-- Events written in the same transaction as the change they describe; OutboxRelay publishes them.
CREATE TABLE outbox (
    id          bigserial   PRIMARY KEY,
    topic       text        NOT NULL,
    msg_key     text        NOT NULL,
    payload     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
