-- Make before break: an instance placed to take over from another one (a drain), beyond the model's replicas until
-- the one it replaces is stopped, once this one runs. Null for every other instance.
ALTER TABLE instance ADD COLUMN replaces uuid;
CREATE INDEX instance_replaces ON instance (replaces) WHERE replaces IS NOT NULL;
