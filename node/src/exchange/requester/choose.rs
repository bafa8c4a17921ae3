//! Choosing the provider: the one the application names, else the register map's best match
//! (cached), else the static `[[providers]]` table (most specific jurisdiction).

use once_pki::MemberId;
use once_xml::discovery::DiscoveryOutcome;

use super::{EvidenceQuery, RequestError, Requester};
use crate::config::ProviderConfig;

impl Requester {
    /// The provider to ask for `query`.
    pub(super) async fn choose(
        &self,
        query: &EvidenceQuery,
    ) -> Result<ProviderConfig, RequestError> {
        if let Some(member) = &query.provider {
            if let Some(configured) = self.providers.iter().find(|p| p.member.as_str() == member) {
                return Ok(configured.clone());
            }
            // An AS4 partner's authority needs no row of its own in [[providers]].
            let partner = member
                .parse::<MemberId>()
                .ok()
                .and_then(|m| self.as4.as_ref()?.partners().by_member(&m));
            return partner
                .map(|partner| ProviderConfig {
                    member: partner.member,
                    name: None,
                    url: partner.url,
                    evidence_types: vec![query.evidence_type.clone()],
                    jurisdictions: Vec::new(),
                    tls_fingerprint: None,
                    profile: None,
                })
                .ok_or_else(|| {
                    RequestError::NoProvider(format!(
                        "provider {member} is neither in this node's provider table nor an AS4 partner"
                    ))
                });
        }
        if let Some(discovery) = &self.discovery {
            match discovery
                .providers(&query.evidence_type, query.jurisdiction.as_deref())
                .await
            {
                Ok(answer) => match &answer.outcome {
                    DiscoveryOutcome::Providers(found) => {
                        if let Some(best) = found.iter().min_by_key(|p| p.rank)
                            && let Ok(member) = best.member.parse::<MemberId>()
                        {
                            return Ok(ProviderConfig {
                                member,
                                name: Some(best.name.clone()),
                                url: best.peer_endpoint.clone(),
                                evidence_types: vec![query.evidence_type.clone()],
                                jurisdictions: best.jurisdictions.clone(),
                                tls_fingerprint: Some(best.tls_certificate_sha256.clone()),
                                profile: None,
                            });
                        }
                    }
                    DiscoveryOutcome::MissingInput { parameter, message } => {
                        return Err(RequestError::Invalid(format!(
                            "the register map needs {parameter}: {message}"
                        )));
                    }
                    _ => {}
                },
                Err(e) => tracing::warn!(error = %e, "discovery failed; trying the provider table"),
            }
        }
        from_table(&self.providers, query).cloned()
    }
}

/// The provider of the static table for the query's evidence type whose jurisdiction is the
/// longest prefix of the query's place; one without jurisdictions serves everywhere.
fn from_table<'a>(
    providers: &'a [ProviderConfig],
    query: &EvidenceQuery,
) -> Result<&'a ProviderConfig, RequestError> {
    let place = query.jurisdiction.as_deref().unwrap_or_default();
    providers
        .iter()
        .filter(|p| p.evidence_types.contains(&query.evidence_type))
        .filter_map(|p| {
            if p.jurisdictions.is_empty() {
                return Some((0, p));
            }
            p.jurisdictions
                .iter()
                .filter(|key| !place.is_empty() && place.starts_with(key.as_str()))
                .map(|key| key.len())
                .max()
                .map(|len| (len, p))
        })
        .max_by_key(|(specificity, _)| *specificity)
        .map(|(_, p)| p)
        .ok_or_else(|| {
            RequestError::NoProvider(if place.is_empty() {
                format!(
                    "no provider of {} is known without a place; give the jurisdiction (AGS/ARS) of the person",
                    query.evidence_type
                )
            } else {
                format!(
                    "no provider of {} is known for jurisdiction {place}",
                    query.evidence_type
                )
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(member: &str, jurisdictions: &[&str]) -> ProviderConfig {
        ProviderConfig {
            member: member.parse().expect("member"),
            name: None,
            url: format!("https://{member}.invalid"),
            evidence_types: vec!["urn:t".into()],
            jurisdictions: jurisdictions.iter().map(|j| (*j).to_owned()).collect(),
            tls_fingerprint: None,
            profile: None,
        }
    }

    fn query(place: Option<&str>) -> EvidenceQuery {
        let mut query = super::super::query::tests::query();
        query.evidence_type = "urn:t".into();
        query.jurisdiction = place.map(ToOwned::to_owned);
        query
    }

    #[test]
    fn the_most_specific_jurisdiction_wins_and_a_provider_without_one_serves_everywhere() {
        let table = [
            provider("DE:BUND:anywhere", &[]),
            provider("DE-HB:LAND:hb", &["04"]),
            provider("DE-HB:KOMMUNE:04011000", &["04011000"]),
        ];
        let chosen = |place| from_table(&table, &query(place)).map(|p| p.member.to_string());
        assert_eq!(
            chosen(Some("04011000")).as_deref(),
            Ok("DE-HB:KOMMUNE:04011000")
        );
        assert_eq!(chosen(Some("04012000")).as_deref(), Ok("DE-HB:LAND:hb"));
        assert_eq!(chosen(Some("09162000")).as_deref(), Ok("DE:BUND:anywhere"));
        assert_eq!(chosen(None).as_deref(), Ok("DE:BUND:anywhere"));
    }

    #[test]
    fn no_provider_says_whether_the_place_was_missing() {
        let table = [provider("DE-HB:KOMMUNE:04011000", &["04011000"])];
        for (place, says) in [(None, "without a place"), (Some("09"), "jurisdiction 09")] {
            match from_table(&table, &query(place)) {
                Err(RequestError::NoProvider(message)) => assert!(message.contains(says)),
                other => panic!("{other:?}"),
            }
        }
    }
}
