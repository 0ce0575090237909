-- What the registry estimates the model needs (ResourceEstimate: ramBytes, vramBytes); null while it cannot tell.
ALTER TABLE model ADD COLUMN estimate jsonb;
