-- Each batch of usage the gateway writes carries an id, stored here in the same transaction as its counts. A batch
-- whose commit went unanswered (the database paused or went away just then) is sent again with the same id, and
-- counted only if its id is not here: usage is neither lost nor counted twice. Ids older than a day are pruned.
CREATE TABLE usage_batches (
    id         uuid        PRIMARY KEY,
    written_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX usage_batches_written_at ON usage_batches (written_at);
