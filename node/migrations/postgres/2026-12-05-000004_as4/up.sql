-- eDelivery AS4: the partner access points (P-Modes reduced to what OOTS needs) and the
-- MessageIds received, for duplicate elimination.

-- An access point of another member state. Its certificate chained to the configured
-- eDelivery trust store when it was added.
CREATE TABLE as4_partners (
    party_id TEXT PRIMARY KEY NOT NULL,
    -- the member id this node knows the partner's authority by (access rules, log, transfers)
    member TEXT NOT NULL UNIQUE,
    -- where its AS4 endpoint receives messages (https://…)
    url TEXT NOT NULL,
    -- its signing and encryption certificate (PEM)
    certificate TEXT NOT NULL,
    -- the algorithm suite: edelivery-1.15 (RSA-SHA256, RSA-OAEP, AES-128-GCM)
    suite TEXT NOT NULL,
    added_at BIGINT NOT NULL
);

-- A user message received: the same MessageId again is refused with an ebMS error and not
-- delivered twice.
CREATE TABLE as4_received (
    message_id TEXT PRIMARY KEY NOT NULL,
    party_id TEXT NOT NULL,
    -- SHA-256 (hex) of the message as received
    body_sha256 TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX as4_received_at ON as4_received (received_at);
