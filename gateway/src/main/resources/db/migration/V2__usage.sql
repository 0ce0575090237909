-- Tokens and requests per API key id, model and UTC day. The gateway adds to these counts in batches
-- (INSERT ... ON CONFLICT DO UPDATE SET x = x + EXCLUDED.x), so rows are never rewritten from memory.
CREATE TABLE usage_daily (
    key_id            text   NOT NULL,
    model             text   NOT NULL,
    day               date   NOT NULL,
    prompt_tokens     bigint NOT NULL DEFAULT 0,
    completion_tokens bigint NOT NULL DEFAULT 0,
    requests          bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (key_id, model, day)
);

-- /api/v1/usage filters by day range most often
CREATE INDEX usage_daily_day ON usage_daily (day);
