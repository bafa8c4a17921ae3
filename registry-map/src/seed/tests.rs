use once_pki::MemberId;

use super::*;

fn area<'a>(areas: &'a [Jurisdiction], key: &str) -> &'a Jurisdiction {
    areas
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("area {key} is in the list"))
}

fn count(areas: &[Jurisdiction], level: AreaLevel) -> usize {
    areas.iter().filter(|a| a.level == level).count()
}

#[test]
fn the_municipality_list_has_every_state_district_and_municipality() {
    let areas = jurisdictions().expect("the embedded list parses");
    assert_eq!(count(&areas, AreaLevel::State), 16);
    assert_eq!(count(&areas, AreaLevel::GovernmentDistrict), 29);
    assert_eq!(count(&areas, AreaLevel::District), 401);
    assert_eq!(count(&areas, AreaLevel::MunicipalAssociation), 4_511);
    // 11,089 Gemeinden in the file, of which 77 are unincorporated areas.
    assert_eq!(count(&areas, AreaLevel::Municipality), 11_012);

    let bremen = area(&areas, "04011000");
    assert_eq!(bremen.name, "Bremen, Stadt");
    assert_eq!(bremen.level, AreaLevel::Municipality);
    assert_eq!(bremen.ars.as_deref(), Some("040110000000"));
    assert_eq!(bremen.state, "04");
    assert_eq!(bremen.district.as_deref(), Some("04011"));
    assert_eq!(bremen.population, Some(565_719));
    let bremerhaven = area(&areas, "04012000");
    assert_eq!(bremerhaven.name, "Bremerhaven, Stadt");
    assert_eq!(bremerhaven.population, Some(113_034));

    let state = area(&areas, "09");
    assert_eq!(
        (state.name.as_str(), state.level),
        ("Bayern", AreaLevel::State)
    );
    assert_eq!(state.district, None);
    assert_eq!(area(&areas, "091").level, AreaLevel::GovernmentDistrict);
    let district = area(&areas, "09187");
    assert_eq!(
        (district.level, district.population),
        (AreaLevel::District, None)
    );
    let association = area(&areas, "010010000");
    assert_eq!(association.level, AreaLevel::MunicipalAssociation);
    assert_eq!(association.district.as_deref(), Some("01001"));

    // Unincorporated areas (Sachsenwald, type 66) and BW regions (4-digit keys) are left out.
    assert!(areas.iter().all(|a| a.key != "01053105"));
    assert!(areas.iter().all(|a| a.key.len() != 4));
    let keys: HashSet<&str> = areas.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys.len(), areas.len(), "keys are unique across levels");
    let population: u64 = areas.iter().filter_map(|a| a.population).sum();
    assert_eq!(
        population,
        82_385_138 - 761 - 3_109,
        "without Lohheide and Osterheide"
    );
}

#[test]
fn the_catalogue_has_at_least_64_consistent_types() {
    let types = register_types().expect("the embedded catalogue parses");
    assert!(types.len() >= 64, "{} types", types.len());
    let codes: HashSet<&str> = types.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes.len(), types.len(), "codes are unique");
    for t in &types {
        assert_eq!(t.level, instancing_level(t.instancing), "{}", t.code);
        assert!(
            !t.legal_basis.is_empty() && !t.category.is_empty(),
            "{}",
            t.code
        );
    }
    let of = |code: &str| {
        types
            .iter()
            .find(|t| t.code == code)
            .unwrap_or_else(|| panic!("type {code}"))
    };
    let melde = of("melderegister");
    assert_eq!(melde.instancing, Instancing::PerMunicipality);
    assert_eq!(melde.legal_basis, "Bundesmeldegesetz (BMG)");
    assert_eq!(
        melde.evidence_types,
        ["urn:once:evidence-type:residence-certificate"]
    );
    assert_eq!(melde.standards, ["XMeld"]);
    assert_eq!(
        of("geburtenregister").evidence_types,
        ["urn:once:evidence-type:birth-certificate"]
    );
    assert_eq!(
        of("rentenversicherungskonto").evidence_types,
        ["urn:once:evidence-type:income-certificate"]
    );
    assert_eq!(
        of("zentrales-fahrzeugregister").instancing,
        Instancing::Federal
    );
    assert_eq!(of("handelsregister").instancing, Instancing::PerState);
    assert_eq!(
        of("oertliches-fahrzeugregister").instancing,
        Instancing::PerDistrict
    );
    for instancing in [
        Instancing::Federal,
        Instancing::PerState,
        Instancing::PerDistrict,
        Instancing::PerMunicipality,
    ] {
        assert!(types.iter().any(|t| t.instancing == instancing));
    }
}

#[test]
fn every_type_is_instanced_the_way_it_exists() {
    let seed = load().expect("the seed loads");
    let municipalities = count(&seed.jurisdictions, AreaLevel::Municipality);
    let per_type = |code: &str| {
        seed.registers
            .iter()
            .filter(|r| r.register_type.as_deref() == Some(code))
            .collect::<Vec<_>>()
    };

    let melde = per_type("melderegister");
    assert!(melde.len() >= 11_000);
    assert_eq!(
        melde.len(),
        municipalities,
        "one population register per municipality"
    );
    let served: HashSet<&str> = melde.iter().map(|r| r.jurisdictions[0].as_str()).collect();
    assert_eq!(served.len(), municipalities);
    let bremen = melde
        .iter()
        .find(|r| r.id == "DE-HB:KOMMUNE:04011000/melderegister")
        .expect("Bremen's population register");
    assert_eq!(bremen.member, "DE-HB:KOMMUNE:04011000");
    assert_eq!(bremen.local_id, "melderegister");
    assert_eq!(bremen.level, Level::Municipality);
    assert_eq!(bremen.jurisdictions, ["04011000"]);
    assert_eq!(bremen.record_count, Some(565_719));
    assert_eq!((bremen.connected, bremen.source), (false, Source::Seed));
    assert_eq!(bremen.name, "Melderegister – Stadt Bremen");
    // Unna carries population 0 in the source: unknown, not empty.
    let unna = melde
        .iter()
        .find(|r| r.jurisdictions[0] == "05978036")
        .expect("Unna's population register");
    assert_eq!(unna.record_count, None);

    let kfz = per_type("zentrales-fahrzeugregister");
    assert_eq!(kfz.len(), 1);
    assert_eq!(kfz[0].id, "DE:BUND:kba/zentrales-fahrzeugregister");
    assert!(
        kfz[0].jurisdictions.is_empty(),
        "federal: the whole country"
    );
    assert_eq!(kfz[0].record_count, None);

    let handel = per_type("handelsregister");
    assert_eq!(handel.len(), 16);
    let bavaria = handel
        .iter()
        .find(|r| r.member == "DE-BY:LAND:registergericht")
        .expect("Bavaria's commercial register");
    assert_eq!(bavaria.jurisdictions, ["09"]);
    assert_eq!(bavaria.level, Level::State);

    let local_kfz = per_type("oertliches-fahrzeugregister");
    assert_eq!(local_kfz.len(), 401);
    assert!(
        local_kfz
            .iter()
            .any(|r| r.id == "DE-BY:KREIS:09187/oertliches-fahrzeugregister"
                && r.jurisdictions == ["09187"])
    );

    for r in &seed.registers {
        let t = seed
            .types
            .iter()
            .find(|t| Some(&t.code) == r.register_type.as_ref())
            .expect("a known type");
        let expected_keys = match t.instancing {
            Instancing::Federal => 0,
            Instancing::PerState => 2,
            Instancing::PerDistrict => 5,
            Instancing::PerMunicipality => 8,
        };
        assert!(
            r.jurisdictions.iter().all(|k| k.len() == expected_keys),
            "{}",
            r.id
        );
        assert_eq!(r.level, t.level, "{}", r.id);
    }
    let ids: HashSet<&str> = seed.registers.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), seed.registers.len(), "register ids are unique");
}

#[test]
fn every_member_id_parses_and_every_register_has_its_member() {
    let seed = load().expect("the seed loads");
    let mut ids = HashSet::new();
    for member in &seed.members {
        let id: MemberId = member
            .id
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", member.id));
        assert!(ids.insert(id.to_string()), "duplicate member {}", member.id);
        assert!(!member.name.is_empty(), "{}", member.id);
    }
    for register in &seed.registers {
        assert!(ids.contains(&register.member), "{}", register.id);
        assert!(register.id.starts_with(&format!("{}/", register.member)));
    }
    // Every state has its members, under its own code.
    for (key, code) in STATES {
        assert!(
            ids.contains(&format!("DE-{code}:LAND:registergericht")),
            "{key}"
        );
    }
}

#[test]
fn members_are_named_as_the_authorities_call_themselves() {
    let seed = load().expect("the seed loads");
    let name = |id: &str| {
        seed.members
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.name.as_str())
            .unwrap_or_else(|| panic!("member {id}"))
    };
    assert_eq!(name("DE-HB:KOMMUNE:04011000"), "Stadt Bremen");
    assert_eq!(name("DE-HB:KOMMUNE:04012000"), "Stadt Bremerhaven");
    assert_eq!(
        name("DE-HH:KOMMUNE:02000000"),
        "Freie und Hansestadt Hamburg"
    );
    assert_eq!(name("DE-BY:KOMMUNE:09161000"), "Stadt Ingolstadt");
    assert_eq!(name("DE-SH:KOMMUNE:01003000"), "Hansestadt Lübeck");
    assert_eq!(name("DE-BY:KREIS:09163"), "Stadt Rosenheim");
    assert_eq!(name("DE-BY:KREIS:09187"), "Landkreis Rosenheim");
    assert_eq!(name("DE-NW:KREIS:05158"), "Kreis Mettmann");
    assert_eq!(name("DE-NI:KREIS:03241"), "Region Hannover");
    assert_eq!(name("DE-HE:KREIS:06414"), "Landeshauptstadt Wiesbaden");
    assert_eq!(
        name("DE-NW:KOMMUNE:05958032"),
        "Kreis- und Hochschulstadt Meschede"
    );
    assert_eq!(name("DE:BUND:kba"), "Kraftfahrt-Bundesamt (KBA)");
    assert_eq!(
        name("DE-BY:LAND:registergericht"),
        "Registergericht – Bayern"
    );
    assert!(
        seed.members
            .iter()
            .any(|m| m.name.starts_with("Markt ") && m.id.starts_with("DE-BY:KOMMUNE:"))
    );
}

#[test]
fn operator_codes_are_short_valid_member_codes() {
    assert_eq!(operator_code("Kraftfahrt-Bundesamt (KBA)"), "kba");
    assert_eq!(
        operator_code("Statistisches Bundesamt (Destatis)"),
        "destatis"
    );
    assert_eq!(operator_code("Registergericht"), "registergericht");
    assert_eq!(
        operator_code("Landesamt für Umwelt"),
        "landesamt-fuer-umwelt"
    );
    assert_eq!(
        operator_code("Gemeindebehörde (Wahlamt, Bürgerbüro)"),
        "gemeindebehoerde-wahlamt-buergerbuero"
    );
    assert_eq!(operator_code(" – "), "verwaltung");
    let long = operator_code(&"Behörde ".repeat(20));
    assert!(long.len() <= 64 && !long.ends_with('-'));
    let types = register_types().expect("the embedded catalogue parses");
    for t in &types {
        let id = format!("DE-BY:LAND:{}", operator_code(&t.operator_kind));
        assert!(id.parse::<MemberId>().is_ok(), "{id}");
    }
}

#[test]
fn a_broken_catalogue_is_refused_with_its_line() {
    let header = TYPE_COLUMNS.join(",");
    let row = |code: &str, name: &str, level: &str, instancing: &str| {
        format!("{code},{name},Name,Beschreibung.,Behörde,{level},{instancing},Gesetz,,,Personen\n")
    };
    let ok = row("a", "A", "federal", "federal");
    let cases = [
        (row("b", "B", "regional", "federal"), "unknown level"),
        (row("b", "B", "federal", "per_kreis"), "unknown instancing"),
        (row("b", "B", "state", "federal"), "does not fit"),
        (
            row("a", "B", "federal", "federal"),
            "duplicate code \"a\" (first on line 2)",
        ),
        (
            row("b", "", "federal", "federal"),
            "name_de must not be empty",
        ),
        (row("B", "B", "federal", "federal"), "lowercase"),
        (
            "b,B,B,B.,Behörde,federal,federal,Gesetz,residence,,Personen\n".to_owned(),
            "must be a URN",
        ),
    ];
    for (bad, expected) in cases {
        let text = format!("{header}\n{ok}{bad}");
        let err = parse_register_types(&text, "test.csv").expect_err(expected);
        let message = err.to_string();
        assert!(message.starts_with("test.csv, line 3: "), "{message}");
        assert!(message.contains(expected), "{message}");
    }
    let err = parse_register_types("code,name\na,A\n", "test.csv").expect_err("header");
    assert!(err.to_string().contains("line 1"), "{err}");
    let err = parse_register_types(&format!("{header}\na,A\n"), "test.csv").expect_err("short");
    assert!(matches!(err, SeedError::Csv { line: 2, .. }), "{err}");
    assert_eq!(
        parse_register_types(&format!("{header}\n{ok}"), "test.csv")
            .expect("one good row")
            .len(),
        1
    );
}

#[test]
fn a_broken_municipality_list_is_refused_with_its_line() {
    let header = "satzart,ebene,gebietsstand,schluessel,ars,ags,land,name,sitz,typ,flaeche_ha,bevoelkerung,bevoelkerung_maennlich,plz,plz_mehrdeutig";
    let cases = [
        ("10,land,2018-09-30,17,17,,17,X,,,,,,,", "unknown state key"),
        ("70,land,2018-09-30,01,01,,01,X,,,,,,,", "unknown satzart"),
        ("10,kreis,2018-09-30,01,01,,01,X,,,,,,,", "ebene"),
        (
            "40,kreis,2018-09-30,01001,01001,0100,01,X,,41,,,,,",
            "5 digits",
        ),
        (
            "60,gemeinde,2018-09-30,010010000000,010010000000,01001000,01,X,,61,1,viele,,,",
            "population",
        ),
    ];
    for (bad, expected) in cases {
        let text = format!(
            "{header}\n10,land,2018-09-30,01,01,,01,Schleswig-Holstein,Kiel,,,,,,\n{bad}\n"
        );
        let err = parse_jurisdictions(&text, "areas.csv").expect_err(expected);
        let message = err.to_string();
        assert!(message.starts_with("areas.csv, line 3: "), "{message}");
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn the_attribution_names_the_source_and_the_licence() {
    assert!(ATTRIBUTION.contains("Statistisches Bundesamt (Destatis)"));
    assert!(ATTRIBUTION.contains("GV100AD"));
    assert!(ATTRIBUTION.contains("dl-de/by-2-0"));
    assert!(ATTRIBUTION.contains("Daten geändert"));
    assert!(
        include_str!("../../data/README.md").contains(ATTRIBUTION),
        "data/README.md keeps the exact attribution"
    );
}
