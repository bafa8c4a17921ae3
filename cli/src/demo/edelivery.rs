//! The demo's cross-border exchange over eDelivery AS4: Bremen's population register and the
//! Austrian office are AS4 access points of the OOTS, with keys of a stand-in eDelivery PKI
//! (`edelivery/ca.pem`; not the federation's), each the other's partner.

use std::path::{Path, PathBuf};

use once_as4::demo_pki::DemoPki;
use once_node::config::Config;
use once_node::db::{self, as4};
use once_node::exchange::transport::as4::partners::{SUITE_EDELIVERY, check_certificate};
use once_pki::files::{write_private_new, write_public};

use super::layout::{ABROAD, Layout, Member, POPULATION};

/// The access points: (member, party id).
const ACCESS_POINTS: [(&Member, &str); 2] = [
    (&POPULATION, "DE-HB-MELDEREGISTER-AP"),
    (&ABROAD, "AT-FAMILIENBEIHILFE-AP"),
];

/// The files of an access point in its member directory.
const KEY: &str = "as4-key.pem";
const CERTIFICATE: &str = "as4-cert.pem";
const TRUST_STORE: &str = "edelivery-ca.pem";

/// The party id of `member`, if it is an access point.
fn party_of(member: &Member) -> Option<&'static str> {
    ACCESS_POINTS
        .iter()
        .find(|(m, _)| m.id == member.id)
        .map(|(_, party)| *party)
}

/// The stand-in eDelivery PKI: a CA and a key and certificate for each access point, written
/// into their member directories with the trust store.
pub(super) fn issue(layout: &Layout) -> Result<(), String> {
    let pki = DemoPki::new("once demo eDelivery CA").map_err(|e| e.to_string())?;
    let dir = layout.dir.join("edelivery");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let write = |path: PathBuf, text: &str, private: bool| {
        if private {
            write_private_new(&path, text.as_bytes())
        } else {
            write_public(&path, text.as_bytes())
        }
        .map_err(|e| format!("{}: {e}", path.display()))
    };
    write(dir.join("ca.pem"), pki.ca_pem(), false)?;
    for (member, party) in ACCESS_POINTS {
        let issued = pki.issue(party).map_err(|e| e.to_string())?;
        let member_dir = layout.member_dir(member);
        write(member_dir.join(KEY), &issued.key_pem, true)?;
        write(member_dir.join(CERTIFICATE), &issued.certificate_pem, false)?;
        write(member_dir.join(TRUST_STORE), pki.ca_pem(), false)?;
    }
    Ok(())
}

/// The `[as4]` section of `member` listening on `port`, if it is an access point.
pub(super) fn config_section(member: &Member, port: u16) -> Option<String> {
    let party = party_of(member)?;
    Some(format!(
        "\n# An eDelivery AS4 access point of the OOTS (keys of the demo's stand-in eDelivery PKI).\n\
         [as4]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"https://localhost:{port}/as4\"\n\
         party_id = \"{party}\"\nkey = \"{KEY}\"\ncertificate = \"{CERTIFICATE}\"\n\
         trust_store = \"{TRUST_STORE}\"\n"
    ))
}

/// Each access point becomes the other's partner, as `once as4 partner add` makes it: the
/// certificate checked against the trust store first.
pub(super) async fn add_partners(layout: &Layout) -> Result<(), String> {
    for (member, _) in ACCESS_POINTS {
        let config = Config::load(&layout.node_toml(member)).map_err(|e| e.to_string())?;
        let trust_store = config
            .as4
            .as_ref()
            .map(|a| a.trust_store.clone())
            .ok_or("no [as4]")?;
        let pool = crate::node::open_pool(&config)
            .await
            .map_err(|e| e.to_string())?;
        for (other, party) in ACCESS_POINTS.iter().filter(|(o, _)| o.id != member.id) {
            let other_config = Config::load(&layout.node_toml(other)).map_err(|e| e.to_string())?;
            let other_as4 = other_config.as4.as_ref().ok_or("no [as4]")?;
            let pem = read(&other_as4.certificate)?;
            check_certificate(&pem, &trust_store)?;
            let row = as4::Partner {
                party_id: (*party).to_owned(),
                member: other.id.to_owned(),
                url: other_as4.public_url.clone(),
                certificate: pem,
                suite: SUITE_EDELIVERY.to_owned(),
                added_at: db::now_unix(),
            };
            db::run(&pool, move |conn| as4::add_partner(conn, &row))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}
