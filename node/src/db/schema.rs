// @generated automatically by Diesel CLI.

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        prefix -> Text,
        secret_sha256 -> Text,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    registers (id) {
        id -> Text,
        name -> Text,
        evidence_types -> Text,
        level -> Text,
        jurisdictions -> Text,
        legal_basis -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        register_type -> Nullable<Text>,
        standards -> Text,
    }
}

diesel::table! {
    register_records (register_id, record_key) {
        register_id -> Text,
        record_key -> Text,
        tax_id -> Nullable<Text>,
        family_name -> Text,
        given_name -> Text,
        date_of_birth -> Text,
        match_key -> Text,
        data -> Text,
    }
}

diesel::table! {
    access_rules (id) {
        id -> Text,
        requester -> Text,
        evidence_type -> Text,
        procedure -> Text,
        legal_basis -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    seen_requests (requester, request_id) {
        requester -> Text,
        request_id -> Text,
        seen_at -> BigInt,
    }
}

diesel::table! {
    message_log (seq) {
        seq -> BigInt,
        logged_at -> BigInt,
        direction -> Text,
        kind -> Text,
        exchange_id -> Text,
        peer -> Text,
        evidence_type -> Text,
        subject_digest -> Text,
        procedure -> Text,
        legal_basis -> Text,
        outcome -> Text,
        message -> Binary,
        prev_hash -> Text,
        entry_hash -> Text,
    }
}

diesel::table! {
    log_checkpoints (seq) {
        seq -> BigInt,
        entry_hash -> Text,
        signed_at -> BigInt,
        signature -> Text,
        certificate -> Text,
    }
}

diesel::table! {
    previews (id) {
        id -> Text,
        request_id -> Text,
        requester -> Text,
        evidence_type -> Text,
        subject_digest -> Text,
        evidence -> Binary,
        code_sha256 -> Text,
        attempts -> Integer,
        session_sha256 -> Nullable<Text>,
        state -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        decided_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    preview_mailbox (preview_id) {
        preview_id -> Text,
        subject_digest -> Text,
        code -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    node_secrets (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    log_lock (id) {
        id -> Integer,
        touched_at -> BigInt,
    }
}

diesel::table! {
    as4_partners (party_id) {
        party_id -> Text,
        member -> Text,
        url -> Text,
        certificate -> Text,
        suite -> Text,
        added_at -> BigInt,
    }
}

diesel::table! {
    as4_received (message_id) {
        message_id -> Text,
        party_id -> Text,
        body_sha256 -> Text,
        received_at -> BigInt,
    }
}

diesel::joinable!(register_records -> registers (register_id));
diesel::joinable!(preview_mailbox -> previews (preview_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_keys,
    registers,
    register_records,
    access_rules,
    seen_requests,
    message_log,
    log_checkpoints,
    previews,
    preview_mailbox,
    node_secrets,
    log_lock,
    as4_partners,
    as4_received,
);
