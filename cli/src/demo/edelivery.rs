//! The demo's cross-border exchange over eDelivery AS4: Bremen's population register and the
//! Austrian office are AS4 access points of the OOTS, with keys of a stand-in eDelivery PKI
//! (`edelivery/ca.pem`; not the federation's), each the other's partner. Bremen holds keys of
//! both algorithm suites (RSA for eDelivery AS4 1.15, EC P-256 for the 2.0 EC profile); the
//! Austrian office only an EC key, so their exchange runs on the eDelivery AS4 2.0 EC profile.

use std::path::{Path, PathBuf};

use once_as4::demo_pki::DemoPki;
use once_as4::{Certificate, OwnKeys};
use once_node::config::Config;
use once_node::db::{self, as4};
use once_node::exchange::transport::as4::partners::check_certificate;
use once_node::exchange::transport::as4::setup;
use once_pki::files::{write_private_new, write_public};

use super::layout::{ABROAD, Layout, Member, POPULATION};

/// The access points: (member, party id, its keys: RSA and EC, or EC only).
const ACCESS_POINTS: [(&Member, &str, Keys); 2] = [
    (&POPULATION, "DE-HB-MELDEREGISTER-AP", Keys::RsaAndEc),
    (&ABROAD, "AT-FAMILIENBEIHILFE-AP", Keys::Ec),
];

/// Which keys an access point holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// `key` RSA (eDelivery AS4 1.15), `ec_key` EC P-256 (2.0 EC profile).
    RsaAndEc,
    /// `key` EC P-256 only.
    Ec,
}

/// The files of an access point in its member directory.
const KEY: &str = "as4-key.pem";
const CERTIFICATE: &str = "as4-cert.pem";
const EC_KEY: &str = "as4-ec-key.pem";
const EC_CERTIFICATE: &str = "as4-ec-cert.pem";
const TRUST_STORE: &str = "edelivery-ca.pem";

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
    for (member, party, keys) in ACCESS_POINTS {
        let member_dir = layout.member_dir(member);
        let ec = pki.issue_ec(party).map_err(|e| e.to_string())?;
        let (first, second) = match keys {
            Keys::RsaAndEc => (pki.issue(party).map_err(|e| e.to_string())?, Some(ec)),
            Keys::Ec => (ec, None),
        };
        write(member_dir.join(KEY), &first.key_pem, true)?;
        write(member_dir.join(CERTIFICATE), &first.certificate_pem, false)?;
        if let Some(second) = second {
            write(member_dir.join(EC_KEY), &second.key_pem, true)?;
            write(
                member_dir.join(EC_CERTIFICATE),
                &second.certificate_pem,
                false,
            )?;
        }
        write(member_dir.join(TRUST_STORE), pki.ca_pem(), false)?;
    }
    Ok(())
}

/// The `[as4]` section of `member` listening on `port`, if it is an access point.
pub(super) fn config_section(member: &Member, port: u16) -> Option<String> {
    let (_, party, keys) = ACCESS_POINTS.iter().find(|(m, _, _)| m.id == member.id)?;
    let ec = if *keys == Keys::RsaAndEc {
        format!(
            "# The EC P-256 key for partners on the eDelivery AS4 2.0 EC profile.\n\
             ec_key = \"{EC_KEY}\"\nec_certificate = \"{EC_CERTIFICATE}\"\n"
        )
    } else {
        String::new()
    };
    Some(format!(
        "\n# An eDelivery AS4 access point of the OOTS (keys of the demo's stand-in eDelivery PKI).\n\
         [as4]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"https://localhost:{port}/as4\"\n\
         party_id = \"{party}\"\nkey = \"{KEY}\"\ncertificate = \"{CERTIFICATE}\"\n{ec}\
         trust_store = \"{TRUST_STORE}\"\n"
    ))
}

/// Each access point becomes the other's partner, as `once as4 partner add` makes it: with the
/// other's certificate of a suite this one has a key for, checked against the trust store
/// first.
pub(super) async fn add_partners(layout: &Layout) -> Result<(), String> {
    for (member, _, _) in ACCESS_POINTS {
        let config = Config::load(&layout.node_toml(member)).map_err(|e| e.to_string())?;
        let trust_store = config
            .as4
            .as_ref()
            .map(|a| a.trust_store.clone())
            .ok_or("no [as4]")?;
        let pool = crate::node::open_pool(&config)
            .await
            .map_err(|e| e.to_string())?;
        let own = setup::credentials(config.as4.as_ref().ok_or("no [as4]")?)
            .map_err(|e| e.to_string())?;
        for (other, party, _) in ACCESS_POINTS.iter().filter(|(o, _, _)| o.id != member.id) {
            let other_config = Config::load(&layout.node_toml(other)).map_err(|e| e.to_string())?;
            let other_as4 = other_config.as4.as_ref().ok_or("no [as4]")?;
            let mut pem = None;
            for path in std::iter::once(&other_as4.certificate).chain(&other_as4.ec_certificate) {
                let text = read(path)?;
                let suite = Certificate::from_pem(&text)
                    .map_err(|e| e.to_string())?
                    .suite();
                if pem.is_none() && own.for_suite(suite).is_some() {
                    pem = Some((text, suite));
                }
            }
            let (pem, suite) = pem.ok_or("the access points share no algorithm suite")?;
            check_certificate(&pem, &trust_store)?;
            let row = as4::Partner {
                party_id: (*party).to_owned(),
                member: other.id.to_owned(),
                url: other_as4.public_url.clone(),
                certificate: pem,
                suite: suite.name().to_owned(),
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
