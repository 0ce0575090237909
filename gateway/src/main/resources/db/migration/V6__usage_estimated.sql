-- Usage the gateway had to estimate (the backend reported none: characters / 4 for the prompt, chunks for the
-- completion) is counted in rows of its own, so that billing never mixes guesses with the backends' counts.
ALTER TABLE usage_daily ADD COLUMN estimated boolean NOT NULL DEFAULT false;
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD PRIMARY KEY (key_id, model, day, estimated);
