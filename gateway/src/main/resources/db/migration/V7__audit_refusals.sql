-- Refused calls on the admin API (401, 403) are recorded too: why (the refusal's message, never a secret) and the
-- client's address; who is the key's public id when a well-formed key was sent, its user when the key was valid.
ALTER TABLE audit_events
    ADD COLUMN reason         text,
    ADD COLUMN client_address text;
