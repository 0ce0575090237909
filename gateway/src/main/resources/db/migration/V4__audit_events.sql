-- Admin actions: who created, changed or deleted which model, key, user, worker state or instance, through the
-- gateway's admin API. Written after the owning service answered with success; never the request's body.
CREATE TABLE audit_events (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL,
    key_id       text NOT NULL,
    user_id      text NOT NULL,
    user_name    text NOT NULL,
    admin        boolean NOT NULL,
    action       text NOT NULL,
    kind         text NOT NULL,
    entity_id    text,
    method       text NOT NULL,
    path         text NOT NULL,
    status       integer NOT NULL
);

CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC);
