-- Limits that belong to the user: every key made for it stays within them (0 = no limit).
ALTER TABLE users
    ADD COLUMN requests_per_minute integer NOT NULL DEFAULT 0 CHECK (requests_per_minute >= 0),
    ADD COLUMN tokens_per_minute   bigint  NOT NULL DEFAULT 0 CHECK (tokens_per_minute >= 0),
    ADD COLUMN max_key_days        integer NOT NULL DEFAULT 0 CHECK (max_key_days >= 0);
