CREATE TABLE model (
    id          uuid PRIMARY KEY,
    -- "C": byte order, so listing by name is the same on every database locale
    name        text        COLLATE "C" NOT NULL,
    spec        jsonb       NOT NULL,
    analysis    jsonb       NOT NULL,
    revision    bigint      NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT model_name_unique UNIQUE (name)
);

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
