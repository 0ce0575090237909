-- Hub sources are analysed in the background: a model waits in PENDING until analysis_due_at, and a hub that is
-- away is tried again with backoff (analysis_attempts counts the failed tries).
ALTER TABLE model ADD COLUMN analysis_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE model ADD COLUMN analysis_due_at timestamptz;
CREATE INDEX model_analysis_due ON model (analysis_due_at) WHERE analysis_due_at IS NOT NULL;
