// Tables of the register map (see migrations/).

diesel::table! {
    register_types (code) {
        code -> Text,
        name_de -> Text,
        name_en -> Text,
        description -> Text,
        operator_kind -> Text,
        level -> Text,
        instancing -> Text,
        legal_basis -> Text,
        evidence_types -> Text,
        standards -> Text,
        category -> Text,
    }
}

diesel::table! {
    jurisdictions (key) {
        key -> Text,
        ars -> Nullable<Text>,
        level -> Text,
        name -> Text,
        state -> Text,
        district -> Nullable<Text>,
        population -> Nullable<BigInt>,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        name -> Text,
        contact -> Nullable<Text>,
        peer_url -> Nullable<Text>,
        tls_fingerprint -> Nullable<Text>,
        published_at -> Nullable<BigInt>,
        sequence -> Nullable<BigInt>,
    }
}

diesel::table! {
    registers (id) {
        id -> Text,
        member -> Text,
        local_id -> Text,
        register_type -> Nullable<Text>,
        name -> Text,
        level -> Text,
        jurisdictions -> Text,
        evidence_types -> Text,
        legal_basis -> Text,
        standards -> Text,
        record_count -> Nullable<BigInt>,
        connected -> Bool,
        source -> Text,
    }
}

diesel::table! {
    descriptors (member, sequence) {
        member -> Text,
        sequence -> BigInt,
        received_at -> BigInt,
        document -> Binary,
    }
}

diesel::table! {
    flows (requester, provider, evidence_type, day) {
        requester -> Text,
        provider -> Text,
        evidence_type -> Text,
        day -> Text,
        count -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    register_types,
    jurisdictions,
    members,
    registers,
    descriptors,
    flows,
);
