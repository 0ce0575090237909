-- Users and their API keys. A key is `gpf_<id>_<secret>`: only SHA-256(secret) is kept, the key itself is shown
-- once when it is created.
CREATE TABLE users (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    admin      boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    disabled   boolean NOT NULL DEFAULT false
);

CREATE TABLE api_keys (
    id                  text PRIMARY KEY,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                text NOT NULL,
    hash                bytea NOT NULL,
    created_at          timestamptz NOT NULL,
    expires_at          timestamptz,
    revoked_at          timestamptz,
    last_used_at        timestamptz,
    requests_per_minute integer NOT NULL DEFAULT 0 CHECK (requests_per_minute >= 0),
    tokens_per_minute   bigint NOT NULL DEFAULT 0 CHECK (tokens_per_minute >= 0)
);

CREATE INDEX api_keys_user_id ON api_keys (user_id);
