-- The evidence exchange: registers and their records, access rules, replay protection, the
-- hash-chained message log with its signed checkpoints, and preview sessions.

-- A register this node serves evidence from.
CREATE TABLE registers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- space-separated evidence type classifications
    evidence_types TEXT NOT NULL,
    -- federal | state | district | municipality
    level TEXT NOT NULL,
    -- space-separated AGS/ARS keys
    jurisdictions TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A person in a register. match_key is the normalised "family|given|date of birth".
CREATE TABLE register_records (
    register_id TEXT NOT NULL REFERENCES registers (id) ON DELETE CASCADE,
    record_key TEXT NOT NULL,
    tax_id TEXT,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL,
    match_key TEXT NOT NULL,
    -- JSON object with the remaining fields of the record
    data TEXT NOT NULL,
    PRIMARY KEY (register_id, record_key)
);
CREATE UNIQUE INDEX register_records_tax_id ON register_records (register_id, tax_id);
CREATE INDEX register_records_match_key ON register_records (register_id, match_key);

-- Who may receive which evidence, for which procedure, on which legal basis. No rule: no evidence.
CREATE TABLE access_rules (
    id TEXT PRIMARY KEY NOT NULL,
    requester TEXT NOT NULL,
    evidence_type TEXT NOT NULL,
    procedure TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (requester, evidence_type, procedure, legal_basis)
);

-- Request ids already answered (replay protection); rows older than the window may be pruned.
CREATE TABLE seen_requests (
    requester TEXT NOT NULL,
    request_id TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (requester, request_id)
);
CREATE INDEX seen_requests_seen_at ON seen_requests (seen_at);

-- Every message sent or received, hash-chained: entry_hash covers the fields, the message
-- digest and prev_hash. Append-only.
CREATE TABLE message_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    logged_at BIGINT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    exchange_id TEXT NOT NULL,
    peer TEXT NOT NULL,
    evidence_type TEXT NOT NULL,
    subject_digest TEXT NOT NULL,
    procedure TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message BYTEA NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE INDEX message_log_subject ON message_log (subject_digest);
CREATE INDEX message_log_exchange ON message_log (exchange_id);

-- The chain head signed with the node's signing key, periodically.
CREATE TABLE log_checkpoints (
    seq BIGINT PRIMARY KEY NOT NULL,
    entry_hash TEXT NOT NULL,
    signed_at BIGINT NOT NULL,
    signature TEXT NOT NULL,
    certificate TEXT NOT NULL
);

-- A preview of evidence shown to the person before it is sent.
CREATE TABLE previews (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL,
    requester TEXT NOT NULL,
    evidence_type TEXT NOT NULL,
    subject_digest TEXT NOT NULL,
    evidence BYTEA NOT NULL,
    code_sha256 TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    session_sha256 TEXT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    decided_at BIGINT
);

-- Simulated delivery of one-time codes to the person (only with preview.simulated_mailbox).
CREATE TABLE preview_mailbox (
    preview_id TEXT PRIMARY KEY NOT NULL REFERENCES previews (id) ON DELETE CASCADE,
    subject_digest TEXT NOT NULL,
    code TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX preview_mailbox_subject ON preview_mailbox (subject_digest);

-- Node-wide secrets kept in the database so replicas share them (e.g. the subject digest key).
CREATE TABLE node_secrets (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- One row; every append updates it first, which serialises appenders across processes and
-- replicas (a write lock on SQLite, a row lock on PostgreSQL).
CREATE TABLE log_lock (
    id INTEGER PRIMARY KEY NOT NULL,
    touched_at BIGINT NOT NULL
);
INSERT INTO log_lock (id, touched_at) VALUES (1, 0);
