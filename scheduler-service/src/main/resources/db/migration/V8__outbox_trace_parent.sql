-- The W3C traceparent of the work that wrote each outbox row (null when it was not traced); OutboxRelay sends it
-- as the record's traceparent header, so the agents continue the trace of a placement.
ALTER TABLE outbox ADD COLUMN trace_parent text;
