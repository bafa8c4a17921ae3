-- The register map: register types, official areas, members, registers with their areas, the
-- descriptors nodes published (version history), and aggregated exchange counts.

CREATE TABLE register_types (
    code TEXT PRIMARY KEY NOT NULL,
    name_de TEXT NOT NULL,
    name_en TEXT NOT NULL,
    description TEXT NOT NULL,
    operator_kind TEXT NOT NULL,
    level TEXT NOT NULL,
    instancing TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    -- space-separated
    evidence_types TEXT NOT NULL,
    standards TEXT NOT NULL,
    category TEXT NOT NULL
);

CREATE TABLE jurisdictions (
    key TEXT PRIMARY KEY NOT NULL,
    ars TEXT,
    level TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    district TEXT,
    population BIGINT
);

CREATE TABLE members (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    contact TEXT,
    peer_url TEXT,
    tls_fingerprint TEXT,
    published_at BIGINT,
    -- the sequence number of the last accepted descriptor
    sequence BIGINT
);

CREATE TABLE registers (
    id TEXT PRIMARY KEY NOT NULL,
    member TEXT NOT NULL REFERENCES members (id),
    local_id TEXT NOT NULL,
    register_type TEXT,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    -- space-separated official keys; empty: the whole country
    jurisdictions TEXT NOT NULL,
    evidence_types TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    standards TEXT NOT NULL,
    record_count BIGINT,
    connected BOOLEAN NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX registers_member ON registers (member);

-- Every descriptor accepted, as received (signed XML).
CREATE TABLE descriptors (
    member TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    document BYTEA NOT NULL,
    PRIMARY KEY (member, sequence)
);

-- Exchange counts reported by requester nodes, per provider, evidence type and day.
CREATE TABLE flows (
    requester TEXT NOT NULL,
    provider TEXT NOT NULL,
    evidence_type TEXT NOT NULL,
    day TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (requester, provider, evidence_type, day)
);
